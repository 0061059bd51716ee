import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRIMARY_NODE, formatLsn, parseLsn } from '../src';
import {
  describeWithNodeControl,
  sql,
  testCluster,
  waitForReplicasToCatchUp,
} from '../../../test/e2e/cluster.control';
import { createNotesTable } from './notes.fixture';
import { harness, type Harness } from './routing.harness';

/**
 * docs/design.md, "The token is taken after the commit", shown on a real replica. The original demo takes
 * its token with pg_current_wal_lsn() inside the write's transaction. We stop
 * a replica exactly there (recovery_target_lsn, stopping before the next
 * record: the COMMIT) and look: the replica has "reached" that token, but the
 * row is not visible. The library's post-commit token is beyond it, so the
 * router refuses that replica and the read still finds the row.
 */
describeWithNodeControl('the pre-commit token hole', () => {
  const victim = 'replica0';
  let h: Harness;
  let autoConf: string;
  let originalConf: string;

  beforeAll(async () => {
    await createNotesTable();
    await waitForReplicasToCatchUp();
    autoConf = join(testCluster().node(victim).dir, 'postgresql.auto.conf');
    originalConf = readFileSync(autoConf, 'utf8');
    // Only the victim may serve: the others are left out of this router.
    h = await harness({ replicas: [{ name: victim, url: testCluster().url(victim) }] });
  });

  afterAll(async () => {
    const cluster = testCluster();
    await cluster.stopNode(victim, 'fast');
    writeFileSync(autoConf, originalConf);
    await cluster.startNode(victim, { foreground: false });
    await cluster.waitReady(victim);
    await h.close();
  });

  it('a token taken inside the transaction is satisfied by a replica that cannot see the row; ours is not', async () => {
    const cluster = testCluster();
    await cluster.stopNode(victim, 'fast');

    // The original's write: INSERT, then the position, in one transaction.
    const { result, token: ours } = await h.router.write(async (em) => {
      const [row] = await em.query<{ id: number }[]>(
        "INSERT INTO lib_notes (body) VALUES ('hole') RETURNING id",
      );
      // insert_lsn is the most favourable in-transaction choice (never behind pg_current_wal_lsn()).
      const [pos] = await em.query<{ lsn: string }[]>(
        'SELECT pg_current_wal_insert_lsn()::text AS lsn',
      );
      return { id: row!.id, preCommit: parseLsn(pos!.lsn) };
    });

    // Replay up to the pre-commit token and stop before the next record (the COMMIT).
    appendFileSync(
      autoConf,
      `recovery_target_lsn = '${formatLsn(result.preCommit)}'\nrecovery_target_inclusive = off\nrecovery_target_action = 'pause'\n`,
    );
    await cluster.startNode(victim, { foreground: false });
    await cluster.waitReady(victim);
    await waitUntilPaused(victim);

    const [state] = await sql<{ replayed: string; reached: boolean; visible: number }>(
      victim,
      `SELECT pg_last_wal_replay_lsn()::text AS replayed,
              pg_last_wal_replay_lsn() >= $1::pg_lsn AS reached,
              (SELECT count(*)::int FROM lib_notes WHERE id = $2) AS visible`,
      [formatLsn(result.preCommit), result.id],
    );
    // The hole: the replica has "reached" the in-transaction token, yet shows nothing.
    expect(state).toMatchObject({ reached: true, visible: 0 });
    // Ours covers the commit record, so it is beyond what the replica replayed...
    expect(ours! > parseLsn(state!.replayed)).toBe(true);

    // ...and the router, checking on the replica itself, goes elsewhere and finds the row.
    await h.observe();
    const read = await h.router.read(
      (em) => em.query<{ body: string }[]>('SELECT body FROM lib_notes WHERE id = $1', [result.id]),
      { token: ours, waitMs: 50 },
    );
    expect(read.servedBy).toBe(PRIMARY_NODE);
    expect(read.result).toEqual([{ body: 'hole' }]);
  });
});

async function waitUntilPaused(node: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const [row] = await sql<{ state: string }>(
      node,
      'SELECT pg_get_wal_replay_pause_state() AS state',
    );
    if (row?.state === 'paused') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${node} did not pause at its recovery target`);
}
