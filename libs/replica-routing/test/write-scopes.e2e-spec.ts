import { PRIMARY_NODE } from '../src';
import {
  pauseReplay,
  resumeReplay,
  waitForReplicasToCatchUp,
} from '../../../test/e2e/cluster.control';
import { createNotesTable, insertNote, findNote } from './notes.fixture';
import { harness, type Harness } from './routing.harness';

/**
 * Reads made from inside a write see it. Replicas are paused and tokenless
 * reads may use them, so a read that does not carry the write's token (or is
 * not kept on the primary) lands on a replica without the write and misses it.
 */
describe('reads inside a write see the write', () => {
  let h: Harness;

  beforeAll(async () => {
    await createNotesTable();
    await waitForReplicasToCatchUp();
    h = await harness({ tokenlessReads: 'replica', maxLagBytes: 1024 * 1024 * 1024 });
    await h.observe();
    await pauseReplay();
  });

  afterAll(async () => {
    await resumeReplay();
    await h.close();
  });

  it('afterCommit runs with the write’s token in the scope', async () => {
    let seen: { body: string | null; servedBy: string } | undefined;
    await h.router.write(async (em) => {
      const id = await insertNote(em, 'after commit');
      h.router.afterCommit(async () => {
        const read = await h.router.read((m) => findNote(m, id), { waitMs: 0 });
        seen = { body: read.result, servedBy: read.servedBy };
      });
    });
    expect(seen).toEqual({ body: 'after commit', servedBy: PRIMARY_NODE });
  });

  it('a read inside write({ transaction: false }) stays on the primary', async () => {
    const { result } = await h.router.write(
      async (em) => {
        const id = await insertNote(em, 'no transaction');
        return h.router.read((m) => findNote(m, id), { waitMs: 0 });
      },
      { transaction: false },
    );
    expect(result).toMatchObject({ result: 'no transaction', servedBy: PRIMARY_NODE });
  });

  it('without a token a read outside any write may land on a (paused) replica', async () => {
    // The control: what the two reads above would have met without the scope.
    const { result: id } = await h.router.write((em) => insertNote(em, 'control'));
    const bare = await h.router.read((m) => findNote(m, id), { waitMs: 0 });
    expect(bare.servedBy).not.toBe(PRIMARY_NODE);
    expect(bare.result).toBeNull();
  });

  it('write({ token: false }) reads no position after COMMIT and raises no scope', async () => {
    const count = h.routing.registry.queryCount(PRIMARY_NODE);
    for (const transaction of [true, false]) {
      const before = count.roundTrips;
      const written = await h.router.scope({}, async () => {
        const w = await h.router.write((em) => insertNote(em, 'no token'), {
          transaction,
          token: false,
        });
        expect(h.router.currentScope()).toMatchObject({ token: null, servedBy: [PRIMARY_NODE] });
        return w;
      });
      expect(written.result).toMatchObject({ token: null, position: null, servedBy: PRIMARY_NODE });
      expect(written.token).toBeNull();
      // The insert, and BEGIN and COMMIT in a transaction: no position query.
      expect(count.roundTrips - before).toBe(transaction ? 3 : 1);
    }
  });
});
