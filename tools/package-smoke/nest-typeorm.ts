/**
 * Scratch app 1 of `npm run test:package`: Nest + TypeORM, the package as the
 * apps of this repository use it. run.sh installs the packed tarball with
 * every peer (the optional ones too: Nest, @nestjs/schedule for the observer,
 * TypeORM), compiles this file with a classic Nest tsconfig (CommonJS,
 * `moduleResolution: node10`: the subpaths resolve through `typesVersions`),
 * and runs it against a private cluster. It checks that:
 * - `ReplicaRoutingModule.forRoot({ adapter: typeormAdapter() })` from `/nest`
 *   and `/typeorm` routes, and a service gets `ReplicaRouter` (from `.`) injected;
 * - the status table comes from `/typeorm`'s migrations, and the observer from
 *   `/nest` fills it: the router learns every replica's position from it;
 * - writes read back with their token see their row, some from a replica.
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  formatLsn,
  ReplicaRouter,
  ReplicaStatusView,
  type ReadOptions,
} from '@rocket-rides/replica-routing';
import { ReplicaObserverModule, ReplicaRoutingModule } from '@rocket-rides/replica-routing/nest';
import { replicaStatusesMigrations, typeormAdapter } from '@rocket-rides/replica-routing/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { cluster, freshDatabase, readYourWrites, run, say, sleep } from './common.js';

const DATABASE = 'rr_package_nest';
const nodes = cluster(DATABASE);

@Injectable()
class NotesService {
  constructor(private readonly router: ReplicaRouter<EntityManager>) {}

  async add(note: string) {
    return this.router.write(async (manager) => {
      const rows = await manager.query<{ id: number }[]>(
        'INSERT INTO smoke_notes (note) VALUES ($1) RETURNING id',
        [note],
      );
      return rows[0]!.id;
    });
  }

  async find(id: number, options: ReadOptions) {
    return this.router.read(async (manager) => {
      const rows = await manager.query<{ note: string }[]>(
        'SELECT note FROM smoke_notes WHERE id = $1',
        [id],
      );
      return rows[0]?.note ?? null;
    }, options);
  }
}

@Module({
  imports: [
    ReplicaRoutingModule.forRoot({ adapter: typeormAdapter(), ...nodes, replicaWaitMs: 500 }),
    ReplicaObserverModule.forRoot({ ...nodes, intervalMs: 100 }),
  ],
  providers: [NotesService],
})
class SmokeModule {}

/** Until the router knows every replica's position from the observer's rows, or `ms`. */
async function waitForObserver(view: ReplicaStatusView, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const known = view
      .list()
      .filter((node) => node.role === 'replica' && node.source === 'observer' && node.lsn !== null);
    if (known.length === nodes.replicas.length)
      return known.map((n) => `${n.name} ${n.lsn}`).join(', ');
    if (Date.now() > deadline)
      throw new Error(
        `after ${ms} ms the router knew ${known.length} of ${nodes.replicas.length} replica positions`,
      );
    await sleep(50);
  }
}

run(async () => {
  await freshDatabase(DATABASE);
  const dataSource = await new DataSource({
    type: 'postgres',
    url: nodes.primary.url,
    migrations: replicaStatusesMigrations(),
  }).initialize();
  try {
    const applied = await dataSource.runMigrations();
    say(`/typeorm migrations applied: ${applied.map((m) => m.name).join(', ')}`);
    await dataSource.query('CREATE TABLE smoke_notes (id serial PRIMARY KEY, note text NOT NULL)');
  } finally {
    await dataSource.destroy();
  }

  const app = await NestFactory.createApplicationContext(SmokeModule, {
    logger: ['error', 'warn'],
  });
  try {
    const view = app.get(ReplicaStatusView);
    say(`the router knows from the observer: ${await waitForObserver(view, 20_000)}`);
    const notes = app.get(NotesService);
    await readYourWrites(nodes, 5, async (round) => {
      const note = `nest ${round} ${Date.now()}`;
      const written = await notes.add(note);
      if (written.servedBy !== 'primary') throw new Error(`a write ran on ${written.servedBy}`);
      if (written.token === null) throw new Error('a write returned no token');
      say(`round ${round}: wrote row ${written.result}, token ${formatLsn(written.token)}`);
      const read = await notes.find(written.result, { token: written.position });
      return { servedBy: read.servedBy, fresh: read.result === note };
    });
  } finally {
    await app.close();
  }
});
