import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalCluster } from '../cluster/local-cluster';

/** What the primary has committed so far. */
export interface PrimaryTally {
  /** `xact_commit` of the bench database: transactions, and statements outside one. */
  commits: number;
  /** The next transaction id: transactions that wrote (only they take an id). */
  nextXid: number;
}

/**
 * The primary's tally, on a connection of its own that closes at once: its
 * own statement counts as one commit (in the next reading), and takes no id.
 */
export function primaryTally(cluster: LocalCluster): Promise<PrimaryTally> {
  return cluster.withClient('primary', cluster.settings.database, async (client) => {
    const { rows } = await client.query<{ commits: string; next_xid: string }>(
      `SELECT xact_commit AS commits, txid_snapshot_xmax(txid_current_snapshot()) AS next_xid
         FROM pg_stat_database WHERE datname = current_database()`,
    );
    return { commits: Number(rows[0]!.commits), nextXid: Number(rows[0]!.next_xid) };
  });
}

/** `to - from`, less `readings` commits of the readings themselves. */
export function tallyGrowth(from: PrimaryTally, to: PrimaryTally, readings = 1): PrimaryTally {
  return { commits: to.commits - from.commits - readings, nextXid: to.nextXid - from.nextXid };
}

/** Resolves once no backend of `applicationName` is connected to the primary (at most `timeoutMs`). */
export async function waitDisconnected(
  cluster: LocalCluster,
  applicationName: string,
  timeoutMs = 10_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const left = await cluster.withClient('primary', 'postgres', async (client) => {
      const { rows } = await client.query<{ n: string }>(
        'SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      return Number(rows[0]!.n);
    });
    if (left === 0) return true;
    await sleep(100);
  }
  return false;
}
