/**
 * Scratch app 2 of `npm run test:package`: Express 5 + Kysely, no Nest, no
 * TypeORM. run.sh installs the packed tarball with `pg`, `prom-client`,
 * `kysely` and `express` only (and types), compiles this file as an ES
 * module (`moduleResolution: nodenext`: the package's `exports`, resolved
 * for `import`), and runs it against a private cluster. It checks that:
 * - Nest and TypeORM are not installed, and the core, `/kysely` and
 *   `/express` load without them;
 * - an ES module gets the package's named exports (the package is
 *   CommonJS), and `/kysely` loads Kysely, which is ESM-only (the package
 *   `require`s it, as Node 22 allows);
 * - `consistency(routing)` from `/express` answers a write with
 *   `Consistency-Token` and `Served-By: primary`, and a GET that sends the
 *   token back sees the row, answered 200 with `Served-By` a replica at least
 *   once in a few rounds; a malformed token is a 400.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  CONSISTENCY_TOKEN_HEADER,
  createReplicaObserver,
  createReplicaRouting,
  InvalidConsistencyTokenError,
  replicaStatusesSql,
  SERVED_BY_HEADER,
} from '@rocket-rides/replica-routing';
import { consistency } from '@rocket-rides/replica-routing/express';
import { kyselyAdapter } from '@rocket-rides/replica-routing/kysely';
import express, { type ErrorRequestHandler } from 'express';
import type { Generated } from 'kysely';
import {
  assertNotInstalled,
  cluster,
  freshDatabase,
  readYourWrites,
  run,
  say,
  seedStatusTable,
} from './common.js';

interface Database {
  smoke_notes: { id: Generated<number>; note: string };
}

const DATABASE = 'rr_package_express';
const nodes = cluster(DATABASE);

run(async () => {
  assertNotInstalled(createRequire(import.meta.url).resolve, [
    '@nestjs/common',
    '@nestjs/core',
    'typeorm',
    'reflect-metadata',
    'rxjs',
  ]);
  await freshDatabase(DATABASE);
  // Seeded once, before the core starts (it loads the table at start, then every 250 ms).
  await seedStatusTable(nodes, replicaStatusesSql(), createReplicaObserver(nodes));

  const routing = createReplicaRouting({ ...nodes, replicaWaitMs: 500 }, kyselyAdapter<Database>());
  await routing.start();
  await routing.router.write((db) =>
    db.schema
      .createTable('smoke_notes')
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('note', 'text', (c) => c.notNull())
      .execute(),
  );

  const app = express();
  app.use(express.json());
  app.use(consistency(routing));
  app.post('/notes', async (req, res) => {
    const { result } = await routing.router.write((db) =>
      db
        .insertInto('smoke_notes')
        .values({ note: String((req.body as { note?: unknown }).note) })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    res.status(201).json(result);
  });
  app.get('/notes/:id', async (req, res) => {
    const { result } = await routing.router.read((db) =>
      db
        .selectFrom('smoke_notes')
        .select('note')
        .where('id', '=', Number(req.params.id))
        .executeTakeFirst(),
    );
    if (result) res.json(result);
    else res.status(404).json({ error: 'not found' });
  });
  const errors: ErrorRequestHandler = (error, _req, res, _next) => {
    const bad = error instanceof InvalidConsistencyTokenError;
    if (!bad) say(`error: ${error instanceof Error ? error.message : String(error)}`);
    res.status(bad ? 400 : 500).json({ error: bad ? 'bad token' : 'internal' });
  };
  app.use(errors);

  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) =>
    server.once('listening', resolve).once('error', reject),
  );
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await readYourWrites(nodes, 5, async (round) => {
      const note = `express ${round} ${Date.now()}`;
      const created = await fetch(`${base}/notes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ note }),
      });
      const token = created.headers.get(CONSISTENCY_TOKEN_HEADER);
      const writtenBy = created.headers.get(SERVED_BY_HEADER);
      const { id } = (await created.json()) as { id: number };
      if (created.status !== 201 || !token || writtenBy !== 'primary')
        throw new Error(`POST: ${created.status}, token ${token}, served by ${writtenBy}`);
      say(`round ${round}: POST 201, row ${id}, ${CONSISTENCY_TOKEN_HEADER}: ${token}`);
      const read = await fetch(`${base}/notes/${id}`, {
        headers: { [CONSISTENCY_TOKEN_HEADER]: token },
      });
      if (read.status !== 200) throw new Error(`GET with the token: ${read.status}`);
      const { note: seen } = (await read.json()) as { note: string };
      return { servedBy: read.headers.get(SERVED_BY_HEADER) ?? '(none)', fresh: seen === note };
    });
    const bad = await fetch(`${base}/notes/1`, { headers: { [CONSISTENCY_TOKEN_HEADER]: 'nope' } });
    if (bad.status !== 400) throw new Error(`a malformed token was answered ${bad.status}`);
    say('a malformed token is answered 400');
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await routing.close();
  }
});
