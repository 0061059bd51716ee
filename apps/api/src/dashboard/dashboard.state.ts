import { Injectable } from '@nestjs/common';
import { ReplicaStatusView } from '@app/replica-routing';
import { register } from 'prom-client';

/** One node as the dashboard shows it: routing state only, no user data. */
export interface DashboardNode {
  name: string;
  role: 'primary' | 'replica';
  /** Would a read go there now (`why_not` is null)? */
  available: boolean;
  reachable: boolean | null;
  breaker: 'closed' | 'open';
  benched_for_ms: number;
  lag_bytes: number | null;
  lag_seconds: number | null;
  age_ms: number | null;
  why_not: string | null;
}

/** Counters are cumulative: the page turns two samples into rates. */
export interface DashboardState {
  at: number;
  nodes: DashboardNode[];
  /** Reads served, per node (`replica_routing_reads_total`, or routed statements before the metric exists). */
  reads: Record<string, number>;
  reads_source: 'metrics' | 'query-count';
  read_outcomes: Record<string, number>;
  writes: Record<string, number>;
  waits: number;
  wait_timeouts: number;
  check_refused: number;
  token_rejected: number;
}

type Sample = { labels: Record<string, string | number>; value: number; metricName?: string };

async function samples(name: string): Promise<Sample[] | undefined> {
  const metric = register.getSingleMetric(name);
  if (!metric) return undefined;
  return (await metric.get()).values as Sample[];
}

/** Sums `name`'s samples by one label (all of them under '' when `label` is undefined). */
async function sumBy(name: string, label?: string): Promise<Record<string, number> | undefined> {
  const values = await samples(name);
  if (!values) return undefined;
  const sums: Record<string, number> = {};
  for (const { labels, value, metricName } of values) {
    if (metricName !== undefined && metricName !== name && !metricName.endsWith('_count')) continue;
    const key = label === undefined ? '' : String(labels[label] ?? '');
    sums[key] = (sums[key] ?? 0) + value;
  }
  return sums;
}

const total = (sums: Record<string, number> | undefined) =>
  Object.values(sums ?? {}).reduce((a, b) => a + b, 0);

/** What GET /dashboard/state answers: this process's routing metrics and node states. */
@Injectable()
export class DashboardStateService {
  constructor(private readonly view: ReplicaStatusView) {}

  async state(): Promise<DashboardState> {
    const statuses = this.view.list();
    const readsByNode = await sumBy('replica_routing_reads_total', 'node');
    const nodes = statuses.map((s): DashboardNode => ({
      name: s.name,
      role: s.role,
      available: s.why_not === null,
      reachable: s.reachable,
      breaker: s.benched_for_ms > 0 ? 'open' : 'closed',
      benched_for_ms: s.benched_for_ms,
      lag_bytes: s.lag_bytes,
      lag_seconds: s.lag_seconds,
      age_ms: s.age_ms,
      why_not: s.why_not,
    }));
    return {
      at: Date.now(),
      nodes,
      reads: readsByNode ?? Object.fromEntries(statuses.map((s) => [s.name, s.queries.routed])),
      reads_source: readsByNode ? 'metrics' : 'query-count',
      read_outcomes: (await sumBy('replica_routing_reads_total', 'outcome')) ?? {},
      writes: (await sumBy('replica_routing_writes_total', 'outcome')) ?? {},
      waits: total(await sumBy('replica_routing_wait_seconds')),
      wait_timeouts: total(await sumBy('replica_routing_wait_timeouts_total')),
      check_refused: total(await sumBy('replica_routing_check_refused_total')),
      token_rejected: total(await sumBy('replica_routing_token_rejected_total')),
    };
  }
}
