/**
 * The consumer side of `npm run test:package`: run.sh copies this file into a
 * scratch Nest app that installed the packed @rocket-rides/replica-routing
 * tarball and its peers, compiles it with tsc against that install, and runs
 * it against a private cluster. Exit 0: a read that carried a write's token
 * was served by a replica and saw the row; exit 1 otherwise.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  replicaStatusesMigrations,
  formatLsn,
  type NodeStatus,
  ReplicaObserverModule,
  ReplicaRouter,
  ReplicaRoutingModule,
  ReplicaStatusView,
} from '@rocket-rides/replica-routing';
import { DataSource, type MigrationInterface } from 'typeorm';

const say = (line: string) => console.log(`package-smoke | ${line}`);

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const host = env('SMOKE_PG_HOST');
const port = Number(env('SMOKE_PG_PORT'));
const replicaCount = Number(env('SMOKE_REPLICAS'));
const nodeUrl = (nodePort: number, database: string) =>
  `postgres://${encodeURIComponent(env('SMOKE_PG_USER'))}:${encodeURIComponent(env('SMOKE_PG_PASSWORD'))}` +
  `@${host}:${nodePort}/${database}`;

// A database of its own: nothing but the package's migration defines its schema.
const DATABASE = 'rr_package_smoke';
const primary = { url: nodeUrl(port, DATABASE) };
const replicas = Array.from({ length: replicaCount }, (_, i) => ({
  name: `replica${i}`,
  url: nodeUrl(port + 1 + i, DATABASE),
}));

@Module({
  imports: [
    ReplicaRoutingModule.forRoot({ primary, replicas, replicaWaitMs: 200 }),
    ReplicaObserverModule.forRoot({ primary, replicas, intervalMs: 100 }),
  ],
})
class SmokeModule {}

async function withDataSource(
  url: string,
  migrations: (new () => MigrationInterface)[],
  work: (dataSource: DataSource) => Promise<void>,
): Promise<void> {
  const dataSource = await new DataSource({ type: 'postgres', url, migrations }).initialize();
  try {
    await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Until this process's router knows every replica's position from the status
 * table (observer -> replica_statuses -> router), or the deadline.
 */
async function waitForObserver(view: ReplicaStatusView, deadlineMs: number): Promise<string> {
  const deadline = Date.now() + deadlineMs;
  let known: NodeStatus[] = [];
  while (Date.now() < deadline) {
    known = view
      .list()
      .filter((node) => node.role === 'replica' && node.source === 'observer' && node.lsn !== null);
    if (known.length === replicas.length) return known.map((n) => `${n.name} ${n.lsn}`).join(', ');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `after ${deadlineMs} ms the router knew ${known.length} of ${replicas.length} replica positions from the observer`,
  );
}

async function main(): Promise<void> {
  await withDataSource(nodeUrl(port, env('SMOKE_PG_DB')), [], async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
    await admin.query(`CREATE DATABASE ${DATABASE}`);
  });
  await withDataSource(primary.url, replicaStatusesMigrations(), async (dataSource) => {
    const applied = await dataSource.runMigrations();
    say(`database ${DATABASE}: migrations applied: ${applied.map((m) => m.name).join(', ')}`);
  });

  const app = await NestFactory.createApplicationContext(SmokeModule, {
    logger: ['error', 'warn'],
  });
  try {
    const router = app.get(ReplicaRouter);
    const view = app.get(ReplicaStatusView);
    say(`router knows from the observer: ${await waitForObserver(view, 20_000)}`);

    await router.write((manager) =>
      manager.query('CREATE TABLE smoke_rides (id serial PRIMARY KEY, note text NOT NULL)'),
    );
    const note = `written at ${new Date().toISOString()}`;
    const written = await router.write((manager) =>
      manager.query<{ id: number }[]>('INSERT INTO smoke_rides (note) VALUES ($1) RETURNING id', [
        note,
      ]),
    );
    const id = written.result[0]?.id;
    say(
      `write: row ${id} on ${written.servedBy}, token ${written.token === null ? 'none' : formatLsn(written.token)}`,
    );

    const read = await router.read(
      (manager) =>
        manager.query<{ id: number; note: string }[]>(
          'SELECT id, note FROM smoke_rides WHERE id = $1',
          [id],
        ),
      { token: written.token },
    );
    say(`read with that token: served by ${read.servedBy}, ${read.result.length} row(s)`);

    const problems: string[] = [];
    if (written.servedBy !== 'primary') problems.push(`write served by ${written.servedBy}`);
    if (written.token === null) problems.push('the write returned no token');
    if (read.servedBy === 'primary') {
      const why = view
        .list(written.token)
        .filter((node) => node.role === 'replica')
        .map((node) => `${node.name}: ${node.why_not ?? 'eligible now'}`);
      problems.push(`the read was served by the primary (${why.join('; ')})`);
    }
    if (read.result[0]?.note !== note) problems.push(`the read did not see row ${id}`);
    if (problems.length > 0) throw new Error(problems.join('; '));
    say(`PASS: installed package routed a read-your-write to ${read.servedBy}`);
  } finally {
    await app.close();
  }
}

// Never hang a CI run: the whole check gets 90 s.
setTimeout(() => {
  say('FAIL: timed out after 90 s');
  process.exit(1);
}, 90_000).unref();

main().then(
  () => process.exit(0),
  (error: unknown) => {
    say(`FAIL: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
