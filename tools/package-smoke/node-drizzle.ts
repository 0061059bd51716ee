/**
 * Scratch app 3 of `npm run test:package`: plain Node + Drizzle, no
 * framework. run.sh installs the packed tarball with `pg`, `prom-client` and
 * `drizzle-orm` only (and types), compiles this file as CommonJS
 * (`moduleResolution: nodenext`, through the package's `exports`), and runs
 * it against a private cluster. It checks that:
 * - Nest, TypeORM, Kysely and Express are not installed, and the core and
 *   `/drizzle` load without them: the core needs neither Nest nor an ORM;
 * - the status table is made and fed without TypeORM or Nest: with the
 *   core's `replicaStatusesSql()` and `createReplicaObserver` (common.ts);
 * - writes read back with their token see their row, some from a replica:
 *   through `/drizzle`, then through `/pg` (plain node-postgres, whose
 *   `transaction()` runs inside `write()` as a savepoint).
 * CommonJS, not an ES module: the package is CommonJS, so its declarations
 * see drizzle-orm's CommonJS types, which an ES module's own drizzle-orm
 * imports do not match (the same classes, declared twice), although it runs.
 */
import {
  createReplicaObserver,
  createReplicaRouting,
  formatLsn,
  replicaStatusesSql,
} from '@rocket-rides/replica-routing';
import { drizzleAdapter } from '@rocket-rides/replica-routing/drizzle';
import { pgAdapter } from '@rocket-rides/replica-routing/pg';
import { eq } from 'drizzle-orm';
import { pgTable, serial, text } from 'drizzle-orm/pg-core';
import {
  assertNotInstalled,
  cluster,
  freshDatabase,
  readYourWrites,
  run,
  say,
  seedStatusTable,
} from './common.js';

const notes = pgTable('smoke_notes', {
  id: serial('id').primaryKey(),
  note: text('note').notNull(),
});

const DATABASE = 'rr_package_drizzle';
const nodes = cluster(DATABASE);

run(async () => {
  assertNotInstalled(require.resolve, [
    '@nestjs/common',
    '@nestjs/core',
    '@nestjs/schedule',
    'typeorm',
    'kysely',
    'express',
    'reflect-metadata',
    'rxjs',
  ]);
  await freshDatabase(DATABASE);
  // Seeded once, before the core starts (it loads the table at start, then every 250 ms).
  await seedStatusTable(nodes, replicaStatusesSql(), createReplicaObserver(nodes));

  const routing = createReplicaRouting({ ...nodes, replicaWaitMs: 500 }, drizzleAdapter());
  await routing.start();
  try {
    await routing.router.write((db) =>
      db.execute('CREATE TABLE smoke_notes (id serial PRIMARY KEY, note text NOT NULL)'),
    );
    await readYourWrites(nodes, 5, async (round) => {
      const note = `drizzle ${round} ${Date.now()}`;
      const written = await routing.router.write(async (db) => {
        const [row] = await db.insert(notes).values({ note }).returning({ id: notes.id });
        return row!.id;
      });
      if (written.servedBy !== 'primary') throw new Error(`a write ran on ${written.servedBy}`);
      if (written.token === null) throw new Error('a write returned no token');
      say(`round ${round}: wrote row ${written.result}, token ${formatLsn(written.token)}`);
      const read = await routing.router.read(
        async (db) => {
          const [row] = await db
            .select({ note: notes.note })
            .from(notes)
            .where(eq(notes.id, written.result));
          return row?.note ?? null;
        },
        { token: written.position },
      );
      return { servedBy: read.servedBy, fresh: read.result === note };
    });
  } finally {
    await routing.close();
  }

  const plain = createReplicaRouting({ ...nodes, replicaWaitMs: 500 }, pgAdapter());
  await plain.start();
  try {
    await readYourWrites(nodes, 5, async (round) => {
      const note = `pg ${round} ${Date.now()}`;
      const written = await plain.router.write((db) =>
        db.transaction(async (tx) => {
          const { rows } = await tx.query<{ id: number }>(
            'INSERT INTO smoke_notes (note) VALUES ($1) RETURNING id',
            [note],
          );
          return rows[0]!.id;
        }),
      );
      if (written.servedBy !== 'primary') throw new Error(`a write ran on ${written.servedBy}`);
      if (written.token === null) throw new Error('a write returned no token');
      say(`pg round ${round}: wrote row ${written.result}, token ${formatLsn(written.token)}`);
      const read = await plain.router.read(
        async (db) => {
          const { rows } = await db.query<{ note: string }>(
            'SELECT note FROM smoke_notes WHERE id = $1',
            [written.result],
          );
          return rows[0]?.note ?? null;
        },
        { token: written.position },
      );
      return { servedBy: read.servedBy, fresh: read.result === note };
    });
  } finally {
    await plain.close();
  }
});
