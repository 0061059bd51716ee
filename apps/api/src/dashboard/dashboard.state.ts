import type { EntityManager } from 'typeorm';
import { Injectable } from '@nestjs/common';
import { ReplicaRouter, ReplicaStatusView } from '@app/replica-routing';
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
  /** The unified log (refreshed every 2 s), or null while it cannot be read. */
  log: DashboardLog | null;
}

/** The log panel: backlog, each consumer's position and total, and the truth they must reach. */
export interface DashboardLog {
  backlog: number;
  oldest_s: number;
  last_seq: string;
  /** `sum(distance)` and `count(*)` of every ride. */
  total: string;
  rides: string;
  consumers: {
    name: string;
    total: string;
    rides: string;
    last_seq: string;
    lag: string;
    /** Its total is exactly `sum(distance)` (only once it has caught up). */
    agrees: boolean;
  }[];
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

/** How long the state waits for the log panel's read before it answers with the last numbers. */
const LOG_WAIT_MS = 500;

/** How old the log panel's numbers may be: the read sees every commit older than this. */
const LOG_FRESH_MS = 2000;

/** The log panel in one row per consumer (one row of nulls for them without consumers). */
interface LogRow {
  events: string;
  oldest_s: number;
  last_seq: string;
  total: string;
  rides: string;
  name: string | null;
  c_total: string | null;
  c_rides: string | null;
  c_last: string | null;
}

const LOG_PANEL_SQL = `
  SELECT b.events::text AS events, b.oldest_s, b.last_seq::text AS last_seq, t.total, t.rides,
         c.name, c.total_distance::text AS c_total, c.rides_counted::text AS c_rides,
         c.last_seq::text AS c_last
    FROM log_backlog b
   CROSS JOIN (SELECT coalesce(sum(distance), 0)::text AS total, count(*)::text AS rides FROM rides) t
    LEFT JOIN consumer_states c ON true
   ORDER BY c.name`;

/** What GET /dashboard/state answers: this process's routing metrics and node states. */
@Injectable()
export class DashboardStateService {
  private log: { at: number; value: DashboardLog | null } | undefined;
  /** The log read under way: one at a time, however long an election makes it wait. */
  private logRead: Promise<void> | undefined;

  constructor(
    private readonly view: ReplicaStatusView,
    private readonly router: ReplicaRouter<EntityManager>,
  ) {}

  /**
   * The log panel's numbers, read at most every 2 s (a sum over every ride),
   * one read at a time, on a replica that has every commit older than
   * LOG_FRESH_MS (else the primary). The state waits for a read under way at
   * most LOG_WAIT_MS: during an election (a primary read waits it out) the
   * rest of the page stays live, with the last numbers known.
   */
  private async logState(): Promise<DashboardLog | null> {
    if (!this.logRead && (!this.log || performance.now() - this.log.at >= 2000)) {
      const startedAt = performance.now();
      this.logRead = this.readLog()
        .then((value) => void (this.log = { at: startedAt, value }))
        .finally(() => (this.logRead = undefined));
    }
    if (this.logRead) {
      let timer: NodeJS.Timeout | undefined;
      const patience = new Promise((resolve) => (timer = setTimeout(resolve, LOG_WAIT_MS)));
      await Promise.race([this.logRead, patience]).finally(() => clearTimeout(timer));
    }
    return this.log?.value ?? null;
  }

  private readLog(): Promise<DashboardLog | null> {
    return this.router
      .read(
        async (em) => {
          // One statement, so one snapshot: a consumer agrees with the sum it is shown beside.
          const rows = await em.query<LogRow[]>(LOG_PANEL_SQL);
          const all = rows[0]!;
          const last = BigInt(all.last_seq);
          return {
            backlog: Number(all.events),
            oldest_s: all.oldest_s,
            last_seq: all.last_seq,
            total: all.total,
            rides: all.rides,
            consumers: rows.flatMap((c) =>
              c.name === null
                ? []
                : [
                    {
                      name: c.name,
                      total: c.c_total!,
                      rides: c.c_rides!,
                      last_seq: c.c_last!,
                      lag: (last - BigInt(c.c_last!)).toString(),
                      agrees: c.c_total === all.total && c.c_rides === all.rides,
                    },
                  ],
            ),
          };
        },
        { freshWithinMs: LOG_FRESH_MS, cover: false },
      )
      .then(
        (r) => r.result,
        () => null,
      );
  }

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
      why_not: publicReason(s.why_not),
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
      log: await this.logState(),
    };
  }
}

/**
 * A node's reason without what follows its first " (": the page is public,
 * and a benched node's reason ends with the driver's error, which can name a
 * host, a port or a role (`GET /replicas`, authenticated, shows it whole).
 */
function publicReason(whyNot: string | null): string | null {
  return whyNot === null ? null : whyNot.split(' (')[0]!;
}
