import { createRequire } from 'node:module';
import { Client, type ClientConfig, type PoolConfig } from 'pg';
import type { NodeConnectionOptions } from '../interfaces/replica-routing-options.interface';
import { TIMELINE_SQL } from '../postgres/wal.queries';
import { endWithin } from '../postgres/client-end';
import { parseHistoryFile } from './timeline-history';
import type { Lsn } from '../lsn.util';
import { monotonicMs } from '../clock';

/** What one host said of its role. */
export interface HostRole {
  standby: boolean;
  /** A primary's timeline; null for a standby. */
  tli: number | null;
}

/**
 * The URL parser node-postgres itself uses, taken from its own dependencies:
 * given a `connectionString`, node-postgres lays the URL over every other
 * setting, so the URL is parsed here instead, to come first.
 */
const { parse: parseUrl } = createRequire(require.resolve('pg'))('pg-connection-string') as {
  parse: (url: string) => PoolConfig;
};

/**
 * node-postgres settings for a node: its URL, then its `connection` settings
 * (these win: a host, a port, an `ssl` with a CA), then `overrides` (the
 * library's timeouts and pool size), except `application_name`, which
 * `overrides` only defaults.
 */
export function pgConfig(node: NodeConnectionOptions, overrides: PoolConfig): PoolConfig {
  const own: PoolConfig = { ...(node.url ? parseUrl(node.url) : {}), ...node.connection };
  return {
    ...own,
    ...overrides,
    application_name: own.application_name ?? overrides.application_name,
  };
}

/** node-postgres settings for a discovery probe of `node`. */
function probeConfig(node: NodeConnectionOptions, timeoutMs: number): ClientConfig {
  return pgConfig(node, {
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'replica-routing-discovery',
  });
}

/**
 * `host:port` of a node, to match it with what an HA manager reports: where
 * its pools connect ({@link pgConfig}: the settings over the URL).
 */
export function addressOf(node: NodeConnectionOptions): string | null {
  const { host, port } = pgConfig(node, {});
  return host ? `${host}:${port || 5432}` : null;
}

/** Runs `fn` on a fresh connection to `node`, closed afterwards. */
async function withClient<T>(
  node: NodeConnectionOptions,
  timeoutMs: number,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client(probeConfig(node, timeoutMs));
  client.on('error', () => undefined); // a socket error after the answer is of no interest
  try {
    await client.connect();
    return await fn(client);
  } finally {
    // A server that answered and then went silent: discovery must not wait for this probe for ever.
    await endWithin(client, timeoutMs);
  }
}

/** Asks a host whether it is in recovery, and a primary for its timeline. */
export function probeRole(node: NodeConnectionOptions, timeoutMs: number): Promise<HostRole> {
  return withClient(node, timeoutMs, async (client) => {
    const { rows } = await client.query<{ standby: boolean; tli: number | null }>(
      `SELECT pg_is_in_recovery() AS standby,
              CASE WHEN NOT pg_is_in_recovery() THEN ${TIMELINE_SQL} END AS tli`,
    );
    return { standby: rows[0]!.standby, tli: rows[0]!.tli };
  });
}

/**
 * The primary's timeline history file (`pg_wal/<tli>.history`), read with
 * `pg_read_file()`: needs a superuser or a role granted EXECUTE on `pg_read_file(text)`
 * (`pg_read_server_files` alone is not enough).
 */
export function readHistoryFile(
  node: NodeConnectionOptions,
  tli: number,
  timeoutMs: number,
): Promise<Map<number, Lsn>> {
  const file = `pg_wal/${tli.toString(16).toUpperCase().padStart(8, '0')}.history`;
  return withClient(node, timeoutMs, async (client) => {
    const { rows } = await client.query<{ text: string }>('SELECT pg_read_file($1) AS text', [
      file,
    ]);
    return parseHistoryFile(rows[0]!.text);
  });
}

/**
 * The host that is the primary now, asking every host `pg_is_in_recovery()`
 * until exactly one says no or `waitMs` passes: for one-off jobs (migrations)
 * that need the primary of a cluster given as hosts.
 */
export async function findPrimary<T extends NodeConnectionOptions & { name: string }>(
  hosts: readonly T[],
  { waitMs = 30_000, timeoutMs = 2000, pollMs = 500 } = {},
): Promise<T> {
  const deadline = monotonicMs() + waitMs;
  for (;;) {
    const answers = await Promise.allSettled(hosts.map((h) => probeRole(h, timeoutMs)));
    const primaries = hosts.filter((_, i) => {
      const a = answers[i]!;
      return a.status === 'fulfilled' && !a.value.standby;
    });
    if (primaries.length === 1) return primaries[0]!;
    if (monotonicMs() >= deadline) {
      const seen = hosts.map((h, i) => {
        const a = answers[i]!;
        const role =
          a.status === 'fulfilled' ? (a.value.standby ? 'standby' : 'primary') : String(a.reason);
        return `${h.name}: ${role}`;
      });
      throw new Error(`no single primary among the hosts within ${waitMs} ms (${seen.join('; ')})`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
