import { Counter, Gauge, Histogram, register } from 'prom-client';

function once<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}

const counter = (name: string, help: string, labelNames: string[] = []) =>
  once(name, () => new Counter({ name, help, labelNames }));
const gauge = (name: string, help: string, labelNames: string[] = []) =>
  once(name, () => new Gauge({ name, help, labelNames }));

/** The unified log's metrics (docs/observability.md), on prom-client's default registry. */
export const logMetrics = {
  backlog: gauge(
    'rides_log_outbox_backlog',
    'Staged events not yet published to the stream (counted up to 100,000)',
  ),
  oldestSeconds: gauge(
    'rides_log_outbox_oldest_seconds',
    'Age of the oldest staged event not yet published (0 when none)',
  ),
  published: counter('rides_log_published_total', 'Entries added to the stream'),
  republished: counter(
    'rides_log_republished_total',
    'Entries published again because the stream had lost them (a Redis restart, FLUSHALL, failover)',
  ),
  duplicatePublish: counter(
    'rides_log_duplicate_publish_total',
    'Re-sent entries the stream refused as already present (a retry after a failure)',
  ),
  consumerLastSeq: gauge('rides_log_consumer_last_seq', 'Last seq a consumer applied', [
    'consumer',
  ]),
  consumerLag: gauge(
    'rides_log_consumer_lag_records',
    "Entries in the stream past a consumer's position",
    ['consumer'],
  ),
  commitToApply: once(
    'rides_log_commit_to_apply_seconds',
    () =>
      new Histogram({
        name: 'rides_log_commit_to_apply_seconds',
        help: "From a ride's commit (its event's occurred_at) to a consumer's commit that counted it",
        labelNames: ['consumer'],
        buckets: [
          0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.075, 0.1, 0.15, 0.2,
          0.5, 1, 2, 5, 10, 30,
        ],
      }),
  ),
  readBack: counter(
    'rides_log_read_back_total',
    'Rides a consumer read back through the routing library, by where they were served',
    ['consumer', 'served'],
  ),
  staleReadBacks: counter(
    'rides_log_stale_read_backs_total',
    'Batches whose rides a consumer read back missing or different: stale reads, never expected',
    ['consumer'],
  ),
  gaps: counter('rides_log_gaps_total', 'Gaps in seq a consumer found (it stops)', ['consumer']),
  deadLetters: counter(
    'rides_log_dead_letters_total',
    'Entries a consumer could not use (malformed, unknown type or version)',
    ['consumer'],
  ),
};
