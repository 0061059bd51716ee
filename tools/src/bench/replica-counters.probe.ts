import type { HttpClient } from './http.client';

/** One node's counters, as `GET /replicas` reports them (`nodes[].queries`). */
export interface NodeCounters {
  name: string;
  role: 'primary' | 'replica';
  total: number;
  routed: number;
  /** Null when this API does not report round trips. */
  roundTrips: number | null;
}

/** Per request, to the primary or to the replicas together. */
export interface KindCost {
  /** Statements of routed work (`queries.routed`). */
  statements: number;
  /** Every statement, status refreshes included (`queries.total`). */
  allStatements: number;
  /** Round trips of routed work; null when not reported. */
  roundTrips: number | null;
}

export interface RequestCost {
  primary: KindCost;
  replicas: KindCost;
}

interface ReplicasBody {
  nodes: {
    name: string;
    role: 'primary' | 'replica';
    queries?: { total?: number; routed?: number; round_trips?: number; roundTrips?: number };
    round_trips?: number;
  }[];
}

/**
 * The statement counters of one API process, read through `GET /replicas`.
 * That request costs the process some statements itself (its authentication):
 * {@link calibrate} measures that, and {@link costPerRequest} takes it off.
 */
export class ReplicaCounters {
  private overhead: NodeCounters[] | undefined;

  constructor(
    private readonly client: HttpClient,
    private readonly auth: Record<string, string>,
  ) {}

  async snapshot(): Promise<NodeCounters[]> {
    const { body } = await this.client.json<ReplicasBody>('GET', '/replicas', this.auth);
    return body.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      total: n.queries?.total ?? 0,
      routed: n.queries?.routed ?? 0,
      roundTrips: n.queries?.round_trips ?? n.queries?.roundTrips ?? n.round_trips ?? null,
    }));
  }

  /** Two snapshots back to back: what one snapshot costs. */
  async calibrate(): Promise<void> {
    const first = await this.snapshot();
    this.overhead = difference(await this.snapshot(), first);
  }

  /** The counters' growth from `before` to `after`, less one snapshot, per request. */
  costPerRequest(before: NodeCounters[], after: NodeCounters[], requests: number): RequestCost {
    const grown = difference(after, before);
    const net = this.overhead ? difference(grown, this.overhead, true) : grown;
    const kind = (role: NodeCounters['role']): KindCost => {
      const nodes = net.filter((n) => n.role === role);
      const sum = (pick: (n: NodeCounters) => number) => nodes.reduce((s, n) => s + pick(n), 0);
      const perRequest = (value: number) => (requests > 0 ? value / requests : NaN);
      return {
        statements: perRequest(sum((n) => n.routed)),
        allStatements: perRequest(sum((n) => n.total)),
        roundTrips: nodes.some((n) => n.roundTrips === null)
          ? null
          : perRequest(sum((n) => n.roundTrips ?? 0)),
      };
    };
    return { primary: kind('primary'), replicas: kind('replica') };
  }
}

/** `a - b` node by node (floored at 0 when `floor`). */
function difference(a: NodeCounters[], b: NodeCounters[], floor = false): NodeCounters[] {
  const minus = (x: number, y: number) => (floor ? Math.max(0, x - y) : x - y);
  return a.map((n) => {
    const m = b.find((o) => o.name === n.name);
    if (!m) return n;
    return {
      ...n,
      total: minus(n.total, m.total),
      routed: minus(n.routed, m.routed),
      roundTrips:
        n.roundTrips === null || m.roundTrips === null ? null : minus(n.roundTrips, m.roundTrips),
    };
  });
}
