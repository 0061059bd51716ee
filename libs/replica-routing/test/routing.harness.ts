import type { EntityManager } from 'typeorm';
import { sql } from '../../../test/e2e/cluster.control';
import { e2eEnv } from '../../../test/e2e/e2e.env';
import { Logger } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import {
  PRIMARY_NODE,
  setRoutingLogger,
  type ReplicaRouter,
  type ReplicaRoutingOptions,
} from '../src';
import { ROUTING } from '../src/nest/replica-routing.module';
import { ReplicaProbe } from '../src/observer/replica-probe.service';
import {
  createRoutingParts,
  type RoutingInternals,
  type RoutingParts,
} from '../src/replica-routing';
import { typeormAdapter } from '../src/typeorm';

export interface Harness {
  /** The core and its parts, as `createRoutingParts` built them. */
  routing: RoutingParts<EntityManager>;
  router: ReplicaRouter<EntityManager>;
  /** Does what the observer does once, then refreshes the router's cache. */
  observe(): Promise<void>;
  close(): Promise<void>;
}

export function clusterNodes(): Pick<ReplicaRoutingOptions, 'primary' | 'replicas'> {
  const env = e2eEnv();
  return { primary: { url: env.primaryUrl }, replicas: env.replicaUrls };
}

/**
 * The harness's own status table: a stack under test may run an observer that
 * rewrites replica_statuses every tick, which would overwrite what a test plants.
 */
export const TEST_STATUS_TABLE = 'lib_test_statuses';

/** A router (the core with the TypeORM adapter) on the suite's cluster; `internals` may replace a part. */
export async function harness(
  options: Partial<ReplicaRoutingOptions> = {},
  internals: RoutingInternals = {},
): Promise<Harness> {
  await sql(
    'primary',
    `CREATE TABLE IF NOT EXISTS ${TEST_STATUS_TABLE} (LIKE replica_statuses INCLUDING ALL)`,
  );
  // As the Nest module does: the tests watch Nest's Logger.
  setRoutingLogger((scope) => new Logger(scope));
  const routing = createRoutingParts(
    { ...clusterNodes(), statusRefreshMs: 0, statusTable: TEST_STATUS_TABLE, ...options },
    typeormAdapter(),
    internals,
  );
  await routing.start();
  return fromRouting(routing);
}

/** The harness of a Nest app's routing core (`ReplicaRoutingModule`). */
export function fromModule(module: TestingModule): Harness {
  return fromRouting(module.get<RoutingParts<EntityManager>>(ROUTING));
}

export function fromRouting(routing: RoutingParts<EntityManager>): Harness {
  const probe = new ReplicaProbe(routing.registry);
  return {
    routing,
    router: routing.router,
    async observe() {
      const rows = await probe.probeAll(1000);
      await routing.store.save(
        (text, values) => routing.registry.query(PRIMARY_NODE, text, values),
        rows,
      );
      await routing.refresher.refresh();
    },
    close: () => routing.close(),
  };
}
