import { Counter, Gauge, Histogram, register } from 'prom-client';
import { TOKEN_REJECTIONS } from '../exceptions/invalid-consistency-token.exception';
import { DISCARD_REASONS } from '../postgres/connection-hygiene';

/**
 * Why a read went where it did (`outcome` label of `replica_routing_reads_total`):
 * - `replica`: a replica known to have the token served it;
 * - `replica_guess`: a replica tried before any news that it had the token served it;
 * - `primary_forced`: `@UsePrimary()`, `onPrimary()` or `{ primary: true }`;
 * - `primary_tokenless`: no token, and `tokenlessReads: 'primary'`;
 * - `primary_share`: kept on the primary by `primaryReadShare`;
 * - `primary_no_replica`: no replica could serve it (none had the token, or none was up);
 * - `retried`: served after a node failed under it.
 */
export type ReadOutcome =
  | 'replica'
  | 'replica_guess'
  | 'primary_forced'
  | 'primary_tokenless'
  | 'primary_share'
  | 'primary_no_replica'
  | 'retried';

/**
 * `commit_unknown`: the write may have committed but its outcome could not be
 * learnt (the connection died during COMMIT or before the token was read on
 * that primary, or a write without a transaction failed part-way).
 */
export type WriteOutcome = 'committed' | 'rolled_back' | 'primary_unavailable' | 'commit_unknown';

// One set per process, on prom-client's default registry (what `GET /metrics` serves):
// several routers in one process (tests) share them.
function once<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}

export const routingMetrics = {
  reads: once(
    'replica_routing_reads_total',
    () =>
      new Counter({
        name: 'replica_routing_reads_total',
        help: 'Routed reads by the node that served them and why it was that node',
        labelNames: ['node', 'outcome'],
      }),
  ),
  writes: once(
    'replica_routing_writes_total',
    () =>
      new Counter({
        name: 'replica_routing_writes_total',
        help: 'Routed writes by outcome',
        labelNames: ['outcome'],
      }),
  ),
  waitSeconds: once(
    'replica_routing_wait_seconds',
    () =>
      new Histogram({
        name: 'replica_routing_wait_seconds',
        help: 'Time reads waited for a replica to replay their token',
        buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      }),
  ),
  waitTimeouts: once(
    'replica_routing_wait_timeouts_total',
    () =>
      new Counter({
        name: 'replica_routing_wait_timeouts_total',
        help: 'Waits for a replica that ran out before it replayed the token',
        labelNames: ['node'],
      }),
  ),
  checkRefused: once(
    'replica_routing_check_refused_total',
    () =>
      new Counter({
        name: 'replica_routing_check_refused_total',
        help: 'Replica reads whose in-band check said the replica had not replayed the token',
        labelNames: ['node'],
      }),
  ),
  nodeAvailable: once(
    'replica_routing_node_available',
    () =>
      new Gauge({
        name: 'replica_routing_node_available',
        help: '1 while reads may use the node; 0 while it is benched, reported unreachable or unknown',
        labelNames: ['node'],
      }),
  ),
  lagBytes: once(
    'replica_routing_replica_lag_bytes',
    () =>
      new Gauge({
        name: 'replica_routing_replica_lag_bytes',
        help: 'Bytes of WAL the replica is behind the primary, as last observed',
        labelNames: ['node'],
      }),
  ),
  lagSeconds: once(
    'replica_routing_replica_lag_seconds',
    () =>
      new Gauge({
        name: 'replica_routing_replica_lag_seconds',
        help: 'Seconds since the last transaction the replica replayed was committed (0 when caught up)',
        labelNames: ['node'],
      }),
  ),
  connectionsDiscarded: once(
    'replica_routing_connections_discarded_total',
    () =>
      new Counter({
        name: 'replica_routing_connections_discarded_total',
        help: 'Pooled connections closed instead of reused because their session was not idle (an open or failed transaction, a statement in flight)',
        labelNames: ['node', 'reason'],
      }),
  ),
  tokenRejected: once(
    'replica_routing_token_rejected_total',
    () =>
      new Counter({
        name: 'replica_routing_token_rejected_total',
        help: 'Client consistency tokens refused, by reason',
        labelNames: ['reason'],
      }),
  ),
};

/**
 * Publishes every counter series whose labels are known at start at 0, so that
 * `rate()` and alerts see a series before the first event: the per-node
 * counters for `nodes`, and token rejections for every reason.
 */
export function publishZeroCounters(nodes: readonly string[]): void {
  for (const node of nodes) {
    routingMetrics.waitTimeouts.inc({ node }, 0);
    routingMetrics.checkRefused.inc({ node }, 0);
    for (const reason of DISCARD_REASONS)
      routingMetrics.connectionsDiscarded.inc({ node, reason }, 0);
  }
  for (const reason of TOKEN_REJECTIONS) routingMetrics.tokenRejected.inc({ reason }, 0);
}

/** Sets the lag gauges of every replica row that has them (observer rows, or a router's state). */
export function recordLag(
  replicas: readonly { name: string; lagBytes: number | null; lagSeconds: number | null }[],
): void {
  for (const r of replicas) {
    if (r.lagBytes !== null) routingMetrics.lagBytes.set({ node: r.name }, r.lagBytes);
    if (r.lagSeconds !== null) routingMetrics.lagSeconds.set({ node: r.name }, r.lagSeconds);
  }
}
