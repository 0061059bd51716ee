import type { PoolClient } from 'pg';
import type { EntityManager } from 'typeorm';
import type { HistoryRecord } from '../../../apps/simulator/src/history/history.record';
import {
  describeWithNodeControl,
  pauseReplay,
  resumeReplay,
  sql,
  waitForReplicasToCatchUp,
} from '../../../test/e2e/cluster.control';
import { checkSessionGuarantees } from '../../../tools/src/history/session-guarantees';
import { type Position, type Work } from '../src';
import { type NodeRegistry } from '../src/node-registry.service';
import type { ReplicaAnswer } from '../src/interfaces/node-answers.interface';
import { NodeExecutor } from '../src/node-executor.service';
import { harness, type Harness } from './routing.harness';

/** A router built wrong on purpose: replica reads skip the in-band check. */
class UncheckedExecutor extends NodeExecutor<EntityManager> {
  private readonly nodes: NodeRegistry;
  private readonly manager: (client: PoolClient, node: string) => EntityManager;

  constructor(...args: ConstructorParameters<typeof NodeExecutor<EntityManager>>) {
    super(...args);
    this.nodes = args[1];
    this.manager = (client, node) => args[2].bind(client, { node, transaction: false });
  }

  override async readOnReplica<T>(
    name: string,
    token: bigint | null,
    tli: number | null,
    work: Work<T, EntityManager>,
  ): Promise<ReplicaAnswer<T>> {
    const client = await (await this.nodes.get(name)).connect();
    let result: T;
    try {
      result = await work(this.manager(client, name), name);
    } finally {
      client.release();
    }
    return {
      replayed: undefined,
      served: { result, token: token === null ? null : { tli, lsn: token } },
    };
  }
}

const router = (broken: boolean): Promise<Harness> =>
  harness({}, broken ? { Executor: UncheckedExecutor as typeof NodeExecutor } : {});

const LIMIT = 5;
const insertRide = (em: EntityManager, client: string, distance: number) =>
  em
    .query<{ id: number }[]>(
      'INSERT INTO lib_rides (client, distance) VALUES ($1, $2) RETURNING id',
      [client, distance],
    )
    .then((r) => r[0]!.id);
const newest = (em: EntityManager, client: string) =>
  em.query<{ id: number; distance: number }[]>(
    'SELECT id, distance FROM lib_rides WHERE client = $1 ORDER BY id DESC LIMIT $2',
    [client, LIMIT],
  );

/**
 * Clients that write a ride, then list their newest rides with the newest
 * token they hold, through the library, while replay is paused for a while;
 * every operation recorded as the simulator records it.
 */
async function simulate(h: Harness, run: string): Promise<HistoryRecord[]> {
  const tokens = h.routing.tokens;
  const text = (p: Position | null) => (p ? tokens.format(p) : null);
  const history: HistoryRecord[] = [];
  const latest = new Map<string, Position | null>();
  const client = async (n: number, from: number, to: number) => {
    const name = `${run}-${n}`;
    for (let i = from; i < to; i++) {
      const distance = 100 * n + i;
      let start = Date.now();
      const written = await h.router.write((em) => insertRide(em, name, distance));
      latest.set(name, written.position);
      history.push({
        client: name,
        op: 'write',
        ride: written.result,
        distance,
        tokenSent: null,
        tokenReceived: text(written.position),
        status: 201,
        node: written.servedBy,
        start,
        end: Date.now(),
      });
      start = Date.now();
      const sent = text(latest.get(name) ?? null);
      const listed = await h.router.read((em) => newest(em, name), { token: latest.get(name) });
      latest.set(name, listed.position ?? latest.get(name) ?? null);
      history.push({
        client: name,
        op: 'list',
        rides: listed.result.map((r) => ({ id: r.id, distance: Number(r.distance) })),
        limit: LIMIT,
        tokenSent: sent,
        tokenReceived: text(listed.position),
        status: 200,
        node: listed.servedBy,
        start,
        end: Date.now(),
      });
    }
  };
  const clients = (from: number, to: number) =>
    Promise.all([0, 1, 2, 3].map((n) => client(n, from, to)));
  await h.observe();
  await clients(0, 6); // replay running
  await pauseReplay();
  try {
    await clients(6, 12); // no replica replays the new writes
  } finally {
    await resumeReplay();
  }
  return history;
}

/** The offline checker of `npm run chaos` can fail: it catches a router without the in-band check. */
describeWithNodeControl('the session-guarantee checker on histories of the library', () => {
  const open: Harness[] = [];

  beforeAll(async () => {
    await sql(
      'primary',
      'CREATE TABLE IF NOT EXISTS lib_rides (id serial PRIMARY KEY, client text NOT NULL, distance int NOT NULL)',
    );
    await waitForReplicasToCatchUp();
  });

  afterAll(async () => {
    await resumeReplay();
    await Promise.allSettled(open.map((h) => h.close()));
  });

  it('finds read-your-writes violations in the history of a router without the in-band check', async () => {
    const h = await router(true);
    open.push(h);
    const report = checkSessionGuarantees(await simulate(h, `broken-${Date.now()}`));
    expect(report.checked['read-your-writes']).toBeGreaterThan(0);
    expect(
      report.violations.filter((v) => v.guarantee === 'read-your-writes').length,
    ).toBeGreaterThan(0);
  });

  it('finds none in the history of the real router, under the same faults', async () => {
    const h = await router(false);
    open.push(h);
    const history = await simulate(h, `real-${Date.now()}`);
    const report = checkSessionGuarantees(history);
    expect(report.violations).toEqual([]);
    expect(report.checked['read-your-writes']).toBeGreaterThan(40);
    expect(report.checked['monotonic-reads']).toBeGreaterThan(40);
    expect(report.checked['monotonic-writes']).toBe(44);
    expect(report.checked['writes-follow-reads']).toBe(44);
    expect(history.some((r) => r.node !== 'primary')).toBe(true);
  });
});
