import { Test, type TestingModule, type TestingModuleBuilder } from '@nestjs/testing';
import { sql } from '../../../test/e2e/cluster.control';
import { e2eEnv } from '../../../test/e2e/e2e.env';
import {
  NodeRegistry,
  PRIMARY_NODE,
  ReplicaRouter,
  ReplicaRoutingModule,
  type ReplicaRoutingModuleOptions,
} from '../src';
import { ReplicaProbe } from '../src/observer/replica-probe.service';
import { ReplicaStatusStore } from '../src/replica-status.store';
import { StatusRefresher } from '../src/status-refresher.service';

export interface Harness {
  module: TestingModule;
  router: ReplicaRouter;
  /** Does what the observer does once, then refreshes the router's cache. */
  observe(): Promise<void>;
  close(): Promise<void>;
}

export function clusterNodes(): Pick<ReplicaRoutingModuleOptions, 'primary' | 'replicas'> {
  const env = e2eEnv();
  return { primary: { url: env.primaryUrl }, replicas: env.replicaUrls };
}

/**
 * The harness's own status table: a stack under test may run an observer that
 * rewrites replica_statuses every tick, which would overwrite what a test plants.
 */
export const TEST_STATUS_TABLE = 'lib_test_statuses';

/** A router on the suite's cluster; `override` may replace its providers (a router broken on purpose). */
export async function harness(
  options: Partial<ReplicaRoutingModuleOptions> = {},
  override: (builder: TestingModuleBuilder) => TestingModuleBuilder = (b) => b,
): Promise<Harness> {
  await sql(
    'primary',
    `CREATE TABLE IF NOT EXISTS ${TEST_STATUS_TABLE} (LIKE replica_statuses INCLUDING ALL)`,
  );
  const module = await override(
    Test.createTestingModule({
      imports: [
        ReplicaRoutingModule.forRoot({
          ...clusterNodes(),
          statusRefreshMs: 0,
          statusTable: TEST_STATUS_TABLE,
          ...options,
        }),
      ],
    }),
  ).compile();
  await module.init();
  return fromModule(module);
}

export function fromModule(module: TestingModule): Harness {
  const registry = module.get(NodeRegistry);
  const refresher = module.get(StatusRefresher);
  const probe = new ReplicaProbe(registry);
  return {
    module,
    router: module.get(ReplicaRouter),
    async observe() {
      const rows = await probe.probeAll(1000);
      await module.get(ReplicaStatusStore).save(await registry.get(PRIMARY_NODE), rows);
      await refresher.refresh();
    },
    close: () => module.close(),
  };
}
