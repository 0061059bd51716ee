import { collectDefaultMetrics, register } from 'prom-client';

/** Node's process metrics, once per process (the dev tools run several apps in one; a second registration throws). */
export function collectDefaultMetricsOnce(): void {
  if (register.getSingleMetric('process_cpu_user_seconds_total')) return;
  collectDefaultMetrics();
}
