/** A member's role as Patroni's `GET /cluster` reports it (3.x says `leader`, 2.x `master`). */
export type MemberRole = 'leader' | 'sync_standby' | 'replica';

/** One node of `GET /cluster`. */
export interface HaMember {
  name: string;
  role: MemberRole;
  /** Patroni's state: `running` (a replica that streams too), `starting`, `stopped`, `creating replica`... */
  state: string;
  host: string;
  port: number;
  timeline?: number;
  /** Bytes of WAL a replica is behind the leader; undefined for the leader or when Patroni does not know. */
  lag?: number;
}

/**
 * Reads the body of Patroni's `GET /cluster` (`{ members: [...] }`). Throws
 * on a body of another shape, naming it.
 */
export function parseCluster(body: unknown): HaMember[] {
  const members = (body as { members?: unknown } | null)?.members;
  if (!Array.isArray(members))
    throw new Error(`Not a Patroni /cluster answer: ${JSON.stringify(body)}`);
  return members.map((raw: Record<string, unknown>) => ({
    name: text(raw.name),
    role: roleOf(raw.role),
    state: text(raw.state),
    host: text(raw.host),
    port: Number(raw.port),
    ...(typeof raw.timeline === 'number' ? { timeline: raw.timeline } : {}),
    ...(typeof raw.lag === 'number' ? { lag: raw.lag } : {}),
  }));
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : 'unknown';
}

function roleOf(role: unknown): MemberRole {
  if (role === 'leader' || role === 'master' || role === 'standby_leader') return 'leader';
  return role === 'sync_standby' ? 'sync_standby' : 'replica';
}

/** Patroni's REST API on every node: the cluster's view from the first that answers, and switchover. */
export class PatroniClient {
  constructor(
    private readonly urls: readonly string[],
    private readonly timeoutMs = 1500,
  ) {}

  /** Members as the first node that answers sees them; throws if none does. */
  async cluster(): Promise<HaMember[]> {
    const failures: string[] = [];
    for (const url of this.urls) {
      try {
        const response = await fetch(`${url}/cluster`, {
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        if (response.ok) return parseCluster(await response.json());
        failures.push(`${url}: HTTP ${response.status}`);
      } catch (error) {
        failures.push(`${url}: ${describe(error)}`);
      }
    }
    throw new Error(`No Patroni REST API answered (${failures.join('; ')})`);
  }

  /**
   * Asks `url` (any node; Patroni forwards nothing, the leader's own is best)
   * to hand the leader's role to `candidate`, or to a replica Patroni picks.
   * Patroni answers once the switch is done; throws with its own message
   * otherwise (412: not possible, e.g. a candidate that is not the sync standby).
   */
  async switchover(url: string, leader: string, candidate?: string): Promise<string> {
    const response = await fetch(`${url}/switchover`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(candidate ? { leader, candidate } : { leader }),
      signal: AbortSignal.timeout(60_000),
    });
    const text = (await response.text()).trim();
    if (!response.ok)
      throw new Error(`Patroni refused the switchover (HTTP ${response.status}): ${text}`);
    return text;
  }

  /** True when the node's REST API answers (whatever its role). */
  async answers(url: string): Promise<boolean> {
    try {
      const response = await fetch(`${url}/liveness`, {
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      return response.ok;
    } catch {
      return false;
    }
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  return cause ?? error.message;
}
