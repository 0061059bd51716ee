import type { Lsn } from '../lsn.util';
import { parsePatroniHistory } from './timeline-history';

/** One member of Patroni's `GET /cluster`, as far as discovery uses it. */
export interface PatroniMember {
  name: string;
  role: string;
  state: string;
  host: string | null;
  port: number | null;
  timeline: number | null;
}

const REPLICA_ROLES = new Set(['replica', 'sync_standby', 'quorum_standby']);
const UP_STATES = new Set(['running', 'streaming']);

/** Reads `GET /cluster`; rejects when the node cannot answer within `timeoutMs`. */
export async function patroniCluster(baseUrl: string, timeoutMs: number): Promise<PatroniMember[]> {
  const body = (await getJson(endpoint(baseUrl, 'cluster'), timeoutMs)) as {
    members?: unknown;
  };
  if (!Array.isArray(body?.members)) throw new Error(`${baseUrl}/cluster: no members list`);
  return (body.members as Record<string, unknown>[]).map((m) => ({
    name: String(m.name),
    role: String(m.role),
    state: String(m.state),
    host: typeof m.host === 'string' ? m.host : null,
    port: typeof m.port === 'number' ? m.port : null,
    timeline: typeof m.timeline === 'number' ? m.timeline : null,
  }));
}

/** Reads `GET /history`: where each earlier timeline ended. */
export async function patroniHistory(
  baseUrl: string,
  timeoutMs: number,
): Promise<Map<number, Lsn>> {
  return parsePatroniHistory(await getJson(endpoint(baseUrl, 'history'), timeoutMs));
}

/** The running leader, if any. */
export function leaderOf(members: readonly PatroniMember[]): PatroniMember | undefined {
  return members.find((m) => m.role === 'leader' && UP_STATES.has(m.state));
}

/** Members running as standbys of the leader. */
export function standbysOf(members: readonly PatroniMember[]): PatroniMember[] {
  return members.filter((m) => REPLICA_ROLES.has(m.role) && UP_STATES.has(m.state));
}

/** `name` under the base URL's own path (a proxy may serve the API under one), however it ends. */
function endpoint(baseUrl: string, name: string): string {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${name}`;
  return url.href;
}

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'application/json' },
  });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}
