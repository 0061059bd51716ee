import { formatLsn, parseLsn, type Position } from '../src';
import {
  describeWithNodeControl,
  e2eEnv,
  sql,
  waitForReplicasToCatchUp,
} from '../../../test/e2e/cluster.control';
import { createNotesTable, findNote, insertNote } from './notes.fixture';
import { harness, type Harness } from './routing.harness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * docs/design.md, "The token is taken after the commit": under synchronous
 * replication a write's token may be the synchronous standbys' flush
 * position, but only when its COMMIT waited for them. A transaction that
 * turned `synchronous_commit` off with `SET LOCAL` did not wait, and that
 * setting is gone once it commits.
 */
describeWithNodeControl(
  'the token of a write that committed without waiting for its standby',
  () => {
    let h: Harness;
    let receiver: number | undefined;

    beforeAll(async () => {
      await createNotesTable();
      await sql('primary', "ALTER SYSTEM SET synchronous_standby_names = 'replica0'");
      await sql('primary', 'SELECT pg_reload_conf()');
      await waitFor(async () => {
        const rows = await sql(
          'primary',
          "SELECT 1 FROM pg_stat_replication WHERE sync_state = 'sync'",
        );
        return rows.length > 0;
      }, 'replica0 to become a synchronous standby');
      // Only the synchronous standby: the read below has nowhere else to go but the primary.
      h = await harness({ replicas: [e2eEnv().replicaUrls[0]!] });
      await h.router.write((em) => insertNote(em, 'sync: warm-up'));
      await waitForReplicasToCatchUp(['replica0']);
      await h.observe();
    });

    afterAll(async () => {
      if (receiver !== undefined) process.kill(receiver, 'SIGCONT');
      await sql('primary', 'ALTER SYSTEM RESET synchronous_standby_names');
      await sql('primary', 'SELECT pg_reload_conf()');
      await h?.close();
    });

    /**
     * `write` runs while replica0 receives nothing (its flush position stays where it is); then
     * the note is read back with the write's token, the router knowing where replica0 stopped (as
     * the observer would tell it; the observer's own write would wait for the stopped standby):
     * replica0 is a candidate, not a guess, which an earlier case may have put off for a while.
     */
    async function readBackWithStandbyStopped(
      write: () => Promise<{ result: number; position: Position | null }>,
    ): Promise<{ result: string | null; servedBy: string }> {
      const [row] = await sql<{ pid: number }>('replica0', 'SELECT pid FROM pg_stat_wal_receiver');
      receiver = row!.pid;
      process.kill(receiver, 'SIGSTOP');
      try {
        const written = await write();
        await sleep(300); // the standby replays what it has flushed
        const [at] = await sql<{ lsn: string }>(
          'replica0',
          'SELECT pg_last_wal_replay_lsn()::text AS lsn',
        );
        h.routing.state.applyStatusRows([
          {
            name: 'replica0',
            role: 'replica',
            lsn: parseLsn(at!.lsn),
            observedAt: Date.now(),
            reachable: true,
            lagBytes: 0,
            lagSeconds: 0,
            error: null,
          },
        ]);
        return await h.router.read((em) => findNote(em, written.result), {
          token: written.position,
          waitMs: 0,
        });
      } finally {
        process.kill(receiver, 'SIGCONT');
        receiver = undefined;
        await waitForReplicasToCatchUp(['replica0']);
      }
    }

    it('covers its commit, so the standby that never got it does not serve it', async () => {
      const read = await readBackWithStandbyStopped(() =>
        h.router.write(async (em) => {
          await em.query('SET LOCAL synchronous_commit = off');
          return insertNote(em, 'sync: not waited for');
        }),
      );
      expect(read).toMatchObject({ result: 'sync: not waited for', servedBy: 'primary' });
    });

    it("without the router's transaction, covers a commit of the work's own transaction that did not wait", async () => {
      const read = await readBackWithStandbyStopped(() =>
        h.router.write(
          (em) =>
            em.transaction(async (tx) => {
              await tx.query('SET LOCAL synchronous_commit = off');
              return insertNote(tx, 'sync: own transaction, not waited for');
            }),
          { transaction: false },
        ),
      );
      expect(read).toMatchObject({
        result: 'sync: own transaction, not waited for',
        servedBy: 'primary',
      });
    });

    it('a write that wrote nothing covers what it read, a commit that did not wait included', async () => {
      const read = await readBackWithStandbyStopped(async () => {
        const unwaited = await h.router.write(async (em) => {
          await em.query('SET LOCAL synchronous_commit = off');
          return insertNote(em, 'sync: seen by a write that wrote nothing');
        });
        // No transaction id, so its COMMIT waits for no one: the standbys' flush position, short
        // of the note it saw, would be no token for it.
        return h.router.write(async (em) => {
          expect(await findNote(em, unwaited.result)).not.toBeNull();
          return unwaited.result;
        });
      });
      expect(read).toMatchObject({
        result: 'sync: seen by a write that wrote nothing',
        servedBy: 'primary',
      });
    });

    it('a write that waited for its standby gets a token the standby has', async () => {
      const written = await h.router.write((em) => insertNote(em, 'sync: waited for'));
      const [row] = await sql<{ ok: boolean }>(
        'replica0',
        'SELECT pg_last_wal_receive_lsn() >= $1::pg_lsn AS ok',
        [formatLsn(written.token!)],
      );
      expect(row!.ok).toBe(true);
    });
  },
);
