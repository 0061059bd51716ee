import type { EntityManager } from 'typeorm';
import { PRIMARY_NODE, type QueryCount } from '../src';
import {
  describeWithNodeControl,
  nodeUrl,
  pauseReplay,
  replicaNames,
  resumeReplay,
  testCluster,
  waitForReplicasToCatchUp,
} from '../../../test/e2e/cluster.control';
import { createNotesTable, insertNote, findNote } from './notes.fixture';
import { harness, type Harness } from './routing.harness';

const counts = (h: Harness): Map<string, QueryCount> => {
  const registry = h.routing.registry;
  return new Map(registry.names.map((n) => [n, { ...registry.queryCount(n) }]));
};
const delta = (before: Map<string, QueryCount>, after: Map<string, QueryCount>, node: string) => ({
  routed: after.get(node)!.routed - before.get(node)!.routed,
  roundTrips: after.get(node)!.roundTrips - before.get(node)!.roundTrips,
});

beforeAll(async () => {
  await createNotesTable();
  await waitForReplicasToCatchUp();
});

/** docs/design.md, "Routing costs the primary nothing": a routed read costs its replica one round trip. */
describe('a routed read on a pipelining connection', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await harness();
  });

  afterAll(() => h.close());

  it('sends the check with the read: one round trip, and a token covering what it saw', async () => {
    const { result: id, token } = await h.router.write((em) => insertNote(em, 'one trip'));
    await waitForReplicasToCatchUp();
    await h.observe();
    const before = counts(h);
    const read = await h.router.read((em) => findNote(em, id), { token });
    expect(read.servedBy).not.toBe(PRIMARY_NODE);
    expect(read.result).toBe('one trip');
    // Check, BEGIN, the covering position (snapshot), the read, COMMIT: one round trip.
    expect(delta(before, counts(h), read.servedBy)).toEqual({ routed: 5, roundTrips: 1 });
    expect(read.token! >= token!).toBe(true);
  });

  it('tries a replica right after a write, before any news of it, without waiting', async () => {
    const { result: id, token } = await h.router.write((em) => insertNote(em, 'a guess'));
    await waitForReplicasToCatchUp();
    // The router has not refreshed: as far as it knows, no replica has this write yet.
    for (const node of h.routing.status.list(token).slice(1))
      expect(node.why_not).toMatch(/the read needs/);
    const read = await h.router.read((em) => findNote(em, id), { token, waitMs: 0 });
    expect(read.result).toBe('a guess');
    expect(replicaNames()).toContain(read.servedBy);
  });

  it('drops what a replica read before its check said no, and reads on the primary', async () => {
    await pauseReplay();
    try {
      const { result: id, token } = await h.router.write((em) => insertNote(em, 'not there'));
      const before = counts(h);
      const read = await h.router.read((em) => findNote(em, id), { token, waitMs: 0 });
      expect(read).toMatchObject({ result: 'not there', servedBy: PRIMARY_NODE });
      const tried = replicaNames().filter((n) => delta(before, counts(h), n).routed > 0);
      expect(tried).toHaveLength(1); // one guess: check, BEGIN, position, the dropped read, ROLLBACK
      expect(delta(before, counts(h), tried[0]!)).toEqual({ routed: 5, roundTrips: 1 });
    } finally {
      await resumeReplay();
    }
  });
});

/** A live connection's standby only replays forward: what it proved once needs no check again. */
describeWithNodeControl('a connection that proved a position', () => {
  const victim = 'replica0';
  let h: Harness;

  beforeAll(async () => {
    h = await harness({
      replicas: [{ name: victim, url: nodeUrl(victim) }],
      poolSize: 1,
      unreachableReportMs: 0,
    });
  });

  afterAll(() => h.close());

  const readWithoutCover = async (id: number, token: bigint) => {
    const before = counts(h);
    const read = await h.router.read((em) => findNote(em, id), { token, cover: false });
    return { read, cost: delta(before, counts(h), victim) };
  };

  it('is not checked again for it, and a restarted replica proves itself again', async () => {
    const { result: id, token } = await h.router.write((em) => insertNote(em, 'proven'));
    await waitForReplicasToCatchUp([victim]);
    await h.observe();
    expect((await readWithoutCover(id, token!)).cost.routed).toBe(2); // check + read
    const again = await readWithoutCover(id, token!);
    expect(again.read).toMatchObject({ result: 'proven', servedBy: victim });
    expect(again.cost).toEqual({ routed: 1, roundTrips: 1 }); // the read alone

    const cluster = testCluster();
    await cluster.stopNode(victim, 'fast');
    await cluster.startNode(victim, { foreground: false });
    await cluster.waitReady(victim);
    await waitForReplicasToCatchUp([victim]);
    let first = await readWithoutCover(id, token!);
    for (let i = 0; i < 20 && first.read.servedBy !== victim; i++)
      first = await readWithoutCover(id, token!);
    expect(first.read).toMatchObject({ result: 'proven', servedBy: victim });
    expect(first.cost.routed).toBe(2); // a new connection: checked again
  });

  const covered = async (work: (em: EntityManager) => Promise<unknown>, token: bigint) => {
    const before = counts(h);
    const read = await h.router.read(work, { token });
    return { read, cost: delta(before, counts(h), victim) };
  };

  it('answers a covered read with the read and its position behind it: two statements, one round trip', async () => {
    const { result: id, token } = await h.router.write((em) => insertNote(em, 'covered'));
    await waitForReplicasToCatchUp([victim]);
    await h.observe();
    await covered((em) => findNote(em, id), token!); // proves the connection, if it had not
    const again = await covered((em) => findNote(em, id), token!);
    expect(again.read).toMatchObject({ result: 'covered', servedBy: victim });
    expect(again.cost).toEqual({ routed: 2, roundTrips: 1 });
    expect(again.read.token! >= token!).toBe(true);
    // The position is taken after the read: a commit the replica has replayed since is covered.
    const { token: later } = await h.router.write((em) => insertNote(em, 'later'));
    await waitForReplicasToCatchUp([victim]);
    const after = await covered((em) => findNote(em, id), token!);
    expect(after.cost).toEqual({ routed: 2, roundTrips: 1 });
    expect(after.read.token! >= later!).toBe(true);
  });

  it('asks for the position once more after the last statement of a longer read', async () => {
    const { result: id, token } = await h.router.write((em) => insertNote(em, 'two statements'));
    await waitForReplicasToCatchUp([victim]);
    await h.observe();
    await covered((em) => findNote(em, id), token!);
    const twice = await covered(async (em) => {
      await findNote(em, id);
      return findNote(em, id);
    }, token!);
    expect(twice.read).toMatchObject({ result: 'two statements', servedBy: victim });
    // Two statements of work, the position behind the first (no trip of its own), one after the last.
    expect(twice.cost).toEqual({ routed: 4, roundTrips: 3 });
  });

  it('keeps its cover prepared when the first read that sends it fails (the server skipped it)', async () => {
    // A connection of its own: its first covered read is the one that prepares the cover.
    const own = await harness({
      replicas: [{ name: victim, url: nodeUrl(victim) }],
      poolSize: 1,
      unreachableReportMs: 0,
    });
    try {
      const { result: id, token } = await own.router.write((em) => insertNote(em, 'skipped'));
      await waitForReplicasToCatchUp([victim]);
      await own.observe();
      const cost = async (work: (em: EntityManager) => Promise<unknown>) => {
        const before = counts(own);
        const read = await own.router.read(work, { token });
        return { read, cost: delta(before, counts(own), victim) };
      };
      await cost((em) => findNote(em, id)); // checked: proves the connection
      await expect(
        own.router.read((em) => em.query('SELECT 1 / $1::int AS x', [0]), { token }),
      ).rejects.toThrow(/division by zero/);
      const next = await cost((em) => findNote(em, id));
      expect(next.read).toMatchObject({ result: 'skipped', servedBy: victim });
      // Still two statements in one round trip: the cover is parsed again, not assumed.
      expect(next.cost).toEqual({ routed: 2, roundTrips: 1 });
    } finally {
      await own.close();
    }
  });

  it('asks for the position when a work deallocated the cover, and prepares it again', async () => {
    const { result: id, token } = await h.router.write((em) => insertNote(em, 'deallocated'));
    await waitForReplicasToCatchUp([victim]);
    await h.observe();
    await covered((em) => findNote(em, id), token!);
    await covered((em) => findNote(em, id), token!);
    const lost = await covered(async (em) => {
      await em.query('DEALLOCATE ALL');
      return findNote(em, id);
    }, token!);
    expect(lost.read).toMatchObject({ result: 'deallocated', servedBy: victim });
    expect(lost.read.token! >= token!).toBe(true);
    const next = await covered((em) => findNote(em, id), token!);
    expect(next.read).toMatchObject({ result: 'deallocated', servedBy: victim });
    expect(next.cost).toEqual({ routed: 2, roundTrips: 1 });
  });

  it('checks a covered read again on the new connection of a restarted replica', async () => {
    const { result: id, token } = await h.router.write((em) => insertNote(em, 'restarted'));
    await waitForReplicasToCatchUp([victim]);
    await h.observe();
    await covered((em) => findNote(em, id), token!);
    expect((await covered((em) => findNote(em, id), token!)).cost.routed).toBe(2);
    const cluster = testCluster();
    await cluster.stopNode(victim, 'fast');
    await cluster.startNode(victim, { foreground: false });
    await cluster.waitReady(victim);
    await waitForReplicasToCatchUp([victim]);
    let first = await covered((em) => findNote(em, id), token!);
    for (let i = 0; i < 20 && first.read.servedBy !== victim; i++)
      first = await covered((em) => findNote(em, id), token!);
    expect(first.read).toMatchObject({ result: 'restarted', servedBy: victim });
    // Check, BEGIN, the covering position, the read, COMMIT: a new connection proves itself.
    expect(first.cost).toEqual({ routed: 5, roundTrips: 1 });
  });
});
