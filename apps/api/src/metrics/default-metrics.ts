import { collectDefaultMetrics, register } from 'prom-client';

/**
 * Node's process metrics (CPU, memory, event loop lag, GC) on prom-client's
 * default registry, once per process: the tests and dev tools run several
 * apps in one process, and a second registration would throw.
 */
export function collectDefaultMetricsOnce(): void {
  if (register.getSingleMetric('process_cpu_user_seconds_total')) return;
  collectDefaultMetrics();
}
