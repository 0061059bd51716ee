import { Logger } from '@nestjs/common';
import { PgBouncer } from '@app/dev-tools';
import {
  describeWithNodeControl,
  e2eEnv,
  pauseReplay,
  resumeReplay,
  testCluster,
  waitForReplicasToCatchUp,
} from '../../../test/e2e/cluster.control';
import { PRIMARY_NODE } from '../src';
import { type ReplicaRoutingModuleOptions } from '../src/nest';
import { createNotesTable, findNote, insertNote } from './notes.fixture';
import { harness, type Harness } from './routing.harness';

const PORT = Number(process.env.E2E_POOLER_PORT ?? 24433);
const env = e2eEnv();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * docs/design.md, "A connection carries state": behind a transaction-mode
 * pooler one client connection is not one server session. PgBouncer
 * (Debian's, `pool_mode = transaction`, 2 server connections per replica)
 * in front of every replica; the primary direct.
 */
describeWithNodeControl('replica reads through PgBouncer in transaction mode', () => {
  let bouncer: PgBouncer;
  const open: Harness[] = [];

  beforeAll(async () => {
    await createNotesTable();
    await waitForReplicasToCatchUp();
    bouncer = new PgBouncer({
      dir: `${process.cwd()}/.pooler-test`,
      port: PORT,
      poolSize: 2,
      databases: env.replicaUrls.map((r, i) => ({
        alias: r.name,
        port: env.port + 1 + i,
        database: env.database,
        user: env.user,
        password: env.password,
      })),
    });
    await bouncer.start();
  });

  afterAll(async () => {
    await Promise.allSettled(open.map((h) => h.close()));
    await bouncer?.stop();
  });

  async function pooled(names: string[], options: Partial<ReplicaRoutingModuleOptions>) {
    const h = await harness({
      replicas: names.map((name) => ({ name, url: bouncer.url(name) })),
      ...options,
    });
    open.push(h);
    return h;
  }

  it('read-your-writes under load, with replay paused and a replica restarted behind it: 0 stale', async () => {
    const h = await pooled(
      env.replicaUrls.map((r) => r.name),
      { connectionProofs: false, replicaWaitMs: 20, poolSize: 4 },
    );
    await h.observe();
    const outcome = { reads: 0, stale: 0, onReplicas: 0 };
    const worker = async (w: number) => {
      for (let i = 0; i < 30; i++) {
        const body = `pooled ${w}.${i}`;
        const written = await h.router.write((em) => insertNote(em, body));
        const read = await h.router.read((em) => findNote(em, written.result), {
          token: written.position,
        });
        outcome.reads++;
        if (read.result !== body) outcome.stale++;
        if (read.servedBy !== PRIMARY_NODE) outcome.onReplicas++;
        if (i % 10 === 0) await h.observe();
      }
    };
    const faults = async () => {
      await sleep(300);
      await pauseReplay();
      await sleep(500);
      await resumeReplay();
      await testCluster().stopNode('replica2', 'fast');
      await sleep(300);
      await testCluster().startNode('replica2', { foreground: true });
    };
    await Promise.all([...Array.from({ length: 6 }, (_, w) => worker(w)), faults()]);
    await resumeReplay();
    expect(outcome.reads).toBe(180);
    expect(outcome.stale).toBe(0);
    expect(outcome.onReplicas).toBeGreaterThan(0);
  });

  describe('a replica replaced behind the pooler (the same address, a server that is behind)', () => {
    async function replaced(options: Partial<ReplicaRoutingModuleOptions>) {
      const h = await pooled(['replica0'], { poolSize: 1, ...options });
      await pauseReplay(['replica1']); // the replacement: behind from now on
      const written = await h.router.write((em) => insertNote(em, 'before the replacement'));
      await waitForReplicasToCatchUp(['replica0']);
      await h.observe();
      const first = await h.router.read((em) => findNote(em, written.result), {
        token: written.position,
      });
      expect(first).toMatchObject({ servedBy: 'replica0', result: 'before the replacement' });
      // On the proven connection: its cover, a named statement, is now prepared in this session only.
      const proven = await h.router.read((em) => findNote(em, written.result), {
        token: written.position,
      });
      expect(proven).toMatchObject({ servedBy: 'replica0', result: 'before the replacement' });
      await bouncer.repoint('replica0', env.port + 2); // replica0's address now reaches replica1
      return { h, written };
    }

    afterEach(async () => {
      await bouncer.repoint('replica0', env.port + 1);
      await resumeReplay(['replica1']);
    });

    it('with connectionProofs: false, an uncovered read is checked in-band and not stale', async () => {
      const { h, written } = await replaced({ connectionProofs: false });
      const read = await h.router.read((em) => findNote(em, written.result), {
        token: written.position,
        cover: false,
      });
      expect(read).toMatchObject({ servedBy: PRIMARY_NODE, result: 'before the replacement' });
    });

    it('with proofs on, a covered read sees another server session and every later read is checked', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn');
      const { h, written } = await replaced({});
      for (const cover of [true, false, false]) {
        const read = await h.router.read((em) => findNote(em, written.result), {
          token: written.position,
          cover,
        });
        expect([cover, read.result]).toEqual([cover, 'before the replacement']);
      }
      // Told once, for the node: its connections prove nothing from now on.
      const told = warn.mock.calls.filter(([m]) =>
        /replica0: one client connection answered from two server sessions/.test(String(m)),
      );
      expect(told).toHaveLength(1);
      warn.mockRestore();
    });
  });
});
