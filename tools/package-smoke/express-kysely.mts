/**
 * Scratch app 2 of `npm run test:package`: Express 5 + Kysely, no Nest, no
 * TypeORM, then the same routes on Fastify. run.sh installs the packed
 * tarball with `pg`, `prom-client`, `kysely`, `express` and `fastify` only
 * (and types), compiles this file as an ES
 * module (`moduleResolution: nodenext`: the package's `exports`, resolved
 * for `import`), and runs it against a private cluster. It checks that:
 * - Nest and TypeORM are not installed, and the core, `/kysely`,
 *   `/express` and `/fastify` load without them;
 * - an ES module gets the package's named exports (the package is
 *   CommonJS), and `/kysely` loads Kysely, which is ESM-only (the package
 *   `require`s it, as Node 22 allows);
 * - `consistency(routing)` from `/express` answers a write with
 *   `Consistency-Token` and `Served-By: primary`, and a GET that sends the
 *   token back sees the row, answered 200 with `Served-By` a replica at least
 *   once in a few rounds; a malformed token is a 400;
 * - `consistencyPlugin(routing)` from `/fastify` does the same on Fastify.
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
import { consistencyPlugin } from '@rocket-rides/replica-routing/fastify';
import { kyselyAdapter } from '@rocket-rides/replica-routing/kysely';
import express, { type ErrorRequestHandler } from 'express';
import fastify from 'fastify';
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

  const insert = (note: string) =>
    routing.router.write((db) =>
      db.insertInto('smoke_notes').values({ note }).returning('id').executeTakeFirstOrThrow(),
    );
  const select = (id: number) =>
    routing.router.read((db) =>
      db.selectFrom('smoke_notes').select('note').where('id', '=', id).executeTakeFirst(),
    );
  const failure = (error: unknown) => {
    const bad = error instanceof InvalidConsistencyTokenError;
    if (!bad) say(`error: ${error instanceof Error ? error.message : String(error)}`);
    return { status: bad ? 400 : 500, body: { error: bad ? 'bad token' : 'internal' } };
  };

  const app = express();
  app.use(express.json());
  app.use(consistency(routing));
  app.post('/notes', async (req, res) => {
    const { result } = await insert(String((req.body as { note?: unknown }).note));
    res.status(201).json(result);
  });
  app.get('/notes/:id', async (req, res) => {
    const { result } = await select(Number(req.params.id));
    if (result) res.json(result);
    else res.status(404).json({ error: 'not found' });
  });
  const errors: ErrorRequestHandler = (error, _req, res, _next) => {
    const { status, body } = failure(error);
    res.status(status).json(body);
  };
  app.use(errors);

  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) =>
    server.once('listening', resolve).once('error', reject),
  );
  const onFastify = fastify();
  onFastify.setErrorHandler((error, _request, reply) => {
    const { status, body } = failure(error);
    void reply.status(status).send(body);
  });
  await onFastify.register(consistencyPlugin(routing));
  onFastify.post<{ Body: { note?: unknown } }>('/notes', async (request, reply) => {
    const { result } = await insert(String(request.body.note));
    return reply.status(201).send(result);
  });
  onFastify.get<{ Params: { id: string } }>('/notes/:id', async (request, reply) => {
    const { result } = await select(Number(request.params.id));
    return result ? reply.send(result) : reply.status(404).send({ error: 'not found' });
  });
  try {
    await httpRounds('express', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    await httpRounds('fastify', await onFastify.listen({ port: 0, host: '127.0.0.1' }));
  } finally {
    await onFastify.close();
    await new Promise((resolve) => server.close(resolve));
    await routing.close();
  }
});

/** Five POST/GET rounds against `base` through the HTTP glue, then a malformed token. */
async function httpRounds(name: string, base: string): Promise<void> {
  await readYourWrites(nodes, 5, async (round) => {
    const note = `${name} ${round} ${Date.now()}`;
    const created = await fetch(`${base}/notes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ note }),
    });
    const token = created.headers.get(CONSISTENCY_TOKEN_HEADER);
    const writtenBy = created.headers.get(SERVED_BY_HEADER);
    const { id } = (await created.json()) as { id: number };
    if (created.status !== 201 || !token || writtenBy !== 'primary')
      throw new Error(`${name} POST: ${created.status}, token ${token}, served by ${writtenBy}`);
    say(`${name} round ${round}: POST 201, row ${id}, ${CONSISTENCY_TOKEN_HEADER}: ${token}`);
    const read = await fetch(`${base}/notes/${id}`, {
      headers: { [CONSISTENCY_TOKEN_HEADER]: token },
    });
    if (read.status !== 200) throw new Error(`${name} GET with the token: ${read.status}`);
    const { note: seen } = (await read.json()) as { note: string };
    return { servedBy: read.headers.get(SERVED_BY_HEADER) ?? '(none)', fresh: seen === note };
  });
  const bad = await fetch(`${base}/notes/1`, { headers: { [CONSISTENCY_TOKEN_HEADER]: 'nope' } });
  if (bad.status !== 400) throw new Error(`${name}: a malformed token was answered ${bad.status}`);
  say(`${name}: a malformed token is answered 400`);
}
