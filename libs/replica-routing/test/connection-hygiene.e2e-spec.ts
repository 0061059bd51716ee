import { parseLsn, PRIMARY_NODE, routingMetrics } from '../src';
import {
  describeWithNodeControl,
  e2eEnv,
  sql,
  waitForReplicasToCatchUp,
} from '../../../test/e2e/cluster.control';
import { createNotesTable, findNote, insertNote } from './notes.fixture';
import { harness, type Harness } from './routing.harness';

/** How many connections to `node` were closed for one of `reasons` so far. */
async function discarded(node: string, ...reasons: string[]): Promise<number> {
  const { values } = await routingMetrics.connectionsDiscarded.get();
  return values
    .filter((v) => v.labels.node === node && reasons.includes(String(v.labels.reason)))
    .reduce((n, v) => n + v.value, 0);
}

const failed = new Error('the work failed');

/**
 * docs/design.md, "A connection carries state": a pooled connection goes back
 * only with its session idle. One connection per node (`poolSize: 1`) and one
 * replica, so that the next use gets the very connection the last one left.
 */
describeWithNodeControl('pooled-connection hygiene', () => {
  let h: Harness;

  beforeAll(async () => {
    await createNotesTable();
    h = await harness({ replicas: [e2eEnv().replicaUrls[0]!], poolSize: 1 });
  });

  afterAll(() => h.close());

  async function writeAndReplay(body: string) {
    const written = await h.router.write((em) => insertNote(em, body));
    await waitForReplicasToCatchUp(['replica0']);
    await h.observe();
    return written;
  }

  it('a replica read that leaves a REPEATABLE READ transaction open does not make the next read stale', async () => {
    const a = await writeAndReplay('hygiene: before');
    const before = await discarded('replica0', 'in_transaction');
    const leaky = h.router.read(
      async (em) => {
        await em.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        await findNote(em, a.result); // takes the snapshot
        throw failed;
      },
      { token: a.position, cover: false },
    );
    await expect(leaky).rejects.toBe(failed);

    const b = await writeAndReplay('hygiene: after');
    // Covered and uncovered, twice each: a stale snapshot would persist on a proven connection.
    for (const cover of [false, true, true, false]) {
      const read = await h.router.read((em) => findNote(em, b.result), {
        token: b.position,
        cover,
      });
      expect([cover, read.servedBy, read.result]).toEqual([cover, 'replica0', 'hygiene: after']);
    }
    expect(await discarded('replica0', 'in_transaction')).toBe(before + 1);
  });

  it('an aborted transaction left behind does not fail the next read with 25P02', async () => {
    const a = await writeAndReplay('hygiene: aborted');
    // Failed, or still busy: the error can reach the work before the session's ReadyForQuery does.
    const before = await discarded('replica0', 'failed_transaction', 'busy');
    const aborting = h.router.read(
      async (em) => {
        await em.query('BEGIN');
        await em.query('SELECT 1 / 0');
      },
      // Uncovered: a covered read rolls back the snapshot transaction it opened, and this one with it.
      { token: a.position, cover: false },
    );
    await expect(aborting).rejects.toMatchObject({ code: '22012' });
    const read = await h.router.read((em) => findNote(em, a.result), { token: a.position });
    expect(read).toMatchObject({ servedBy: 'replica0', result: 'hygiene: aborted' });
    expect(await discarded('replica0', 'failed_transaction', 'busy')).toBe(before + 1);
  });

  it('a statement the server refuses does not cost its connection', async () => {
    const a = await writeAndReplay('hygiene: refused');
    const reasons = ['busy', 'failed_transaction', 'in_transaction', 'unknown'];
    const before = await discarded('replica0', ...reasons);
    // The error reaches the work before the session's ReadyForQuery (often in another packet):
    // the connection goes back once that comes, not closed as busy.
    for (let i = 0; i < 50; i++) {
      const refused = h.router.read((em) => em.query('SELECT 1 / $1::int', [0]), {
        token: a.position,
        cover: i % 2 === 0,
      });
      await expect(refused).rejects.toMatchObject({ code: '22012' });
    }
    const read = await h.router.read((em) => findNote(em, a.result), { token: a.position });
    expect(read).toMatchObject({ servedBy: 'replica0', result: 'hygiene: refused' });
    expect(await discarded('replica0', ...reasons)).toBe(before);
  });

  it('a REPEATABLE READ transaction left on the primary does not make a primary read stale', async () => {
    const leaky = h.router.read(
      async (em) => {
        await em.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        await em.query('SELECT count(*) FROM lib_notes');
        throw failed;
      },
      { primary: true },
    );
    await expect(leaky).rejects.toBe(failed);
    // Committed by someone else, after that snapshot.
    const [row] = await sql<{ id: number }>(
      'primary',
      "INSERT INTO lib_notes (body) VALUES ('hygiene: elsewhere') RETURNING id",
    );
    const read = await h.router.read((em) => findNote(em, row!.id), { primary: true });
    expect(read).toMatchObject({ servedBy: PRIMARY_NODE, result: 'hygiene: elsewhere' });
  });

  it("a failed write's open transaction is never committed by the next write", async () => {
    const body = `hygiene: failed write ${Date.now()}`;
    const failing = h.router.write(
      async (em) => {
        await em.query('BEGIN');
        await insertNote(em, body);
        throw failed;
      },
      { transaction: false },
    );
    await expect(failing).rejects.toBe(failed);
    await h.router.write((em) => insertNote(em, 'hygiene: the next write'));
    const rows = await sql('primary', 'SELECT id FROM lib_notes WHERE body = $1', [body]);
    expect(rows).toEqual([]);
  });

  it("em.transaction('REPEATABLE READ') works on a connection that proved the token before", async () => {
    const a = await writeAndReplay('hygiene: isolation');
    // The first read proves the token on the pooled connection; the later ones take the proven path.
    for (let i = 0; i < 3; i++) {
      const read = await h.router.read(
        (em) => em.transaction('REPEATABLE READ', (tx) => findNote(tx, a.result)),
        { token: a.position },
      );
      expect([i, read.servedBy, read.result]).toEqual([i, 'replica0', 'hygiene: isolation']);
      expect(read.token! >= a.token!).toBe(true);
    }
  });
});

/**
 * docs/design.md, "Read-your-writes and monotonic reads": the token a covered
 * read returns covers everything its work saw, also when the work commits the
 * snapshot transaction the library opened for it (a nested `transaction()`).
 */
describeWithNodeControl('a covered read whose work ends its snapshot transaction', () => {
  let h: Harness;

  beforeAll(async () => {
    await createNotesTable();
    // A new harness: its connection has proven nothing, so the read opens a snapshot transaction.
    h = await harness({ replicas: [e2eEnv().replicaUrls[0]!], poolSize: 1 });
  });

  afterAll(() => h.close());

  it('returns a token that covers what its later statements saw', async () => {
    const a = await h.router.write((em) => insertNote(em, 'nested: first'));
    await waitForReplicasToCatchUp(['replica0']);
    await h.observe();
    let later = { id: 0, lsn: '' };
    const read = await h.router.read(
      async (em) => {
        await em.transaction((tx) => findNote(tx, a.result)); // its COMMIT ends the snapshot
        const [row] = await sql<{ id: number }>(
          'primary',
          "INSERT INTO lib_notes (body) VALUES ('nested: later') RETURNING id",
        );
        const [at] = await sql<{ lsn: string }>(
          'primary',
          'SELECT pg_current_wal_insert_lsn()::text AS lsn',
        );
        later = { id: row!.id, lsn: at!.lsn };
        await waitForReplicasToCatchUp(['replica0']);
        return findNote(em, later.id);
      },
      { token: a.position },
    );
    expect(read).toMatchObject({ servedBy: 'replica0', result: 'nested: later' });
    expect(read.token! >= parseLsn(later.lsn)).toBe(true);
  });
});
