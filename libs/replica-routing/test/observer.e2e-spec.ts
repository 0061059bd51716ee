import type { EntityManager } from 'typeorm';
import { Test, type TestingModule } from '@nestjs/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { PRIMARY_NODE, ReplicaRouter, ReplicaStatusView } from '../src';
import { createReplicaObserver, createReplicaRouting, ReplicaObserver } from '../src';
import { pgAdapter } from '../src/pg';
import { ReplicaObserverModule, ReplicaRoutingModule } from '../src/nest';
import { replicaStatusesMigrations, typeormAdapter } from '../src/typeorm';
import { e2eEnv, replicaNames, sql } from '../../../test/e2e/cluster.control';
import { clusterNodes } from './routing.harness';

/** The observer as an app mounts it: one line, its own status table, feeding a router in the same app. */
describe('ReplicaObserverModule with its own status table', () => {
  const table = 'observer_test_statuses';
  let module: TestingModule;

  beforeAll(async () => {
    await sql('primary', `DROP TABLE IF EXISTS ${table}`);
    await sql('primary', 'DROP TABLE IF EXISTS observer_test_migrations');
    const migrator = new DataSource({
      type: 'postgres',
      url: e2eEnv().primaryUrl,
      migrations: replicaStatusesMigrations(table),
      migrationsTableName: 'observer_test_migrations',
    });
    await migrator.initialize();
    await migrator.runMigrations();
    await migrator.destroy();
    module = await Test.createTestingModule({
      imports: [
        ReplicaObserverModule.forRoot({ ...clusterNodes(), intervalMs: 50, statusTable: table }),
        ReplicaRoutingModule.forRoot({
          adapter: typeormAdapter(),
          ...clusterNodes(),
          statusTable: table,
          statusRefreshMs: 50,
        }),
      ],
    }).compile();
    await module.init();
  });

  afterAll(async () => {
    await module?.close();
    await sql('primary', `DROP TABLE IF EXISTS ${table}`);
    await sql('primary', 'DROP TABLE IF EXISTS observer_test_migrations');
  });

  it('writes a row per node into the table it was given', async () => {
    const expected = [PRIMARY_NODE, ...replicaNames()].sort();
    let names: string[] = [];
    for (let i = 0; i < 100 && names.length < expected.length; i++) {
      await sleep(50);
      names = (await sql<{ name: string }>('primary', `SELECT name FROM ${table}`)).map(
        (r) => r.name,
      );
    }
    expect(names.sort()).toEqual(expected);
    expect(module.get(ReplicaObserver)).toBeDefined();
  });

  it('feeds the router: its state learns every replica position from the table', async () => {
    const router = module.get<ReplicaRouter<EntityManager>>(ReplicaRouter);
    const view = module.get(ReplicaStatusView);
    const { token } = await router.write((em) => em.query('SELECT 1'));
    // Reads never raise a known position: only rows from the observer's table can.
    let known: string[] = [];
    for (let i = 0; i < 100 && known.length < replicaNames().length; i++) {
      await sleep(50);
      known = view
        .list(token)
        .filter((n) => n.role === 'replica' && n.why_not === null)
        .map((n) => n.name);
    }
    expect(known.sort()).toEqual(replicaNames().sort());
    const read = await router.read((em) => em.query('SELECT 1'), { token, waitMs: 0 });
    expect(replicaNames()).toContain(read.servedBy);
  });
});

/** The same observer without Nest, feeding a router without Nest. */
describe('createReplicaObserver', () => {
  const table = 'observer_plain_statuses';

  beforeAll(async () => {
    await sql('primary', `DROP TABLE IF EXISTS ${table}`);
    await sql('primary', `CREATE TABLE ${table} (LIKE replica_statuses INCLUDING ALL)`);
  });

  afterAll(() => sql('primary', `DROP TABLE IF EXISTS ${table}`));

  it('ticks on its own timer and feeds a router built with createReplicaRouting', async () => {
    const observer = createReplicaObserver({
      ...clusterNodes(),
      intervalMs: 50,
      statusTable: table,
    });
    const routing = createReplicaRouting(
      { ...clusterNodes(), statusTable: table, statusRefreshMs: 50 },
      pgAdapter(),
    );
    await Promise.all([observer.start(), routing.start()]);
    try {
      const { position } = await routing.router.write((db) => db.query('SELECT 1'));
      let known: string[] = [];
      for (let i = 0; i < 100 && known.length < replicaNames().length; i++) {
        await sleep(50);
        known = routing.status
          .list(position?.lsn ?? null)
          .filter((n) => n.role === 'replica' && n.why_not === null)
          .map((n) => n.name);
      }
      expect(known.sort()).toEqual(replicaNames().sort());
      const read = await routing.router.read((db) => db.query('SELECT 1'), {
        token: position,
        waitMs: 0,
      });
      expect(replicaNames()).toContain(read.servedBy);
    } finally {
      await Promise.all([observer.close(), routing.close()]);
    }
  });
});
