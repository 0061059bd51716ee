import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql as drizzleSql } from 'drizzle-orm';
import { bigserial, pgTable, text } from 'drizzle-orm/pg-core';
import Fastify, { type FastifyInstance } from 'fastify';
import { EntitySchema, type EntityManager } from 'typeorm';
import {
  pauseReplay,
  replicaNames,
  resumeReplay,
  sql,
  waitForReplicasToCatchUp,
} from '../../../test/e2e/cluster.control';
import {
  InvalidConsistencyTokenError,
  PRIMARY_NODE,
  TransactionAbortedError,
  type RoutingAdapter,
} from '../src';
import { drizzleAdapter, type DrizzleHandle } from '../src/drizzle';
import { consistency } from '../src/express';
import { consistencyPlugin } from '../src/fastify';
import { kyselyAdapter } from '../src/kysely';
import { pgAdapter, type PgHandle } from '../src/pg';
import { createRoutingParts, type RoutingParts } from '../src/replica-routing';
import type { RoutingScope } from '../src/routing-context.service';
import { typeormAdapter } from '../src/typeorm';
import { clusterNodes, fromRouting, TEST_STATUS_TABLE } from './routing.harness';

/**
 * Every adapter on the same core: a write, then a read of it with its
 * token, from a replica when one has replayed it. One replica has its replay
 * paused (it lags by everything written here), and the reads may wait a
 * little for the others: a read the paused one served would miss the row.
 */
const notes = pgTable('lib_adapter_notes', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  body: text('body').notNull(),
});
interface NotesDb {
  lib_adapter_notes: { id: string; body: string };
}

/** What each adapter must do: insert a note, find one by id, and run a transaction of its own. */
interface Dialect<H> {
  adapter: RoutingAdapter<H>;
  insert(db: H, body: string): Promise<number>;
  find(db: H, id: number): Promise<string | null>;
  /** `fn` in the query layer's own transaction on `db` (a savepoint inside a write). */
  transaction(db: H, fn: (inner: H) => Promise<void>): Promise<void>;
}

/** Inserts `kept`, then in a nested transaction inserts `lost` and fails. */
async function nestedFailure<H>(dialect: Dialect<H>, db: H, kept: string, lost: string) {
  await dialect.insert(db, kept);
  await dialect
    .transaction(db, async (inner) => {
      await dialect.insert(inner, lost);
      throw new Error('rolled back');
    })
    .catch(() => undefined);
}

const typeorm: Dialect<EntityManager> = {
  adapter: typeormAdapter(),
  insert: async (em, body) =>
    Number(
      (
        await em.query<{ id: string }[]>(
          'INSERT INTO lib_adapter_notes (body) VALUES ($1) RETURNING id',
          [body],
        )
      )[0]!.id,
    ),
  find: async (em, id) =>
    (
      await em.query<{ body: string }[]>('SELECT body FROM lib_adapter_notes WHERE id = $1', [id])
    )[0]?.body ?? null,
  transaction: (em, fn) => em.transaction(fn),
};

const pg: Dialect<PgHandle> = {
  adapter: pgAdapter(),
  insert: async (db, body) =>
    Number(
      (
        await db.query<{ id: string }>(
          'INSERT INTO lib_adapter_notes (body) VALUES ($1) RETURNING id',
          [body],
        )
      ).rows[0]!.id,
    ),
  find: async (db, id) =>
    (await db.query<{ body: string }>('SELECT body FROM lib_adapter_notes WHERE id = $1', [id]))
      .rows[0]?.body ?? null,
  transaction: (db, fn) => db.transaction(fn),
};

const kysely: Dialect<ReturnType<ReturnType<typeof kyselyAdapter<NotesDb>>['bind']>> = {
  adapter: kyselyAdapter<NotesDb>(),
  insert: async (db, body) =>
    Number(
      (
        await db
          .insertInto('lib_adapter_notes')
          .values({ body } as never)
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id,
    ),
  find: async (db, id) =>
    (
      await db
        .selectFrom('lib_adapter_notes')
        .select('body')
        .where('id', '=', String(id))
        .executeTakeFirst()
    )?.body ?? null,
  transaction: (db, fn) => db.transaction().execute((trx) => fn(trx as typeof db)),
};

const drizzle: Dialect<DrizzleHandle<Record<string, never>>> = {
  adapter: drizzleAdapter(),
  insert: async (db, body) =>
    (await db.insert(notes).values({ body }).returning({ id: notes.id }))[0]!.id,
  find: async (db, id) =>
    (
      await db
        .select({ body: notes.body })
        .from(notes)
        .where(drizzleSql`${notes.id} = ${id}`)
    )[0]?.body ?? null,
  transaction: (db, fn) => db.transaction((inner) => fn(inner as typeof db)),
};

const dialects: [string, Dialect<unknown>][] = [
  ['TypeORM', typeorm],
  ['Kysely', kysely],
  ['Drizzle', drizzle],
  ['plain pg', pg],
];

/** The replica whose replay is paused: the suite's first (replica0 here, pg1 or pg2 under Patroni). */
let PAUSED: string;

/** A core with `adapter` on the suite's cluster, whose replicas it has seen once (as from the observer). */
async function routingFor<H>(adapter: RoutingAdapter<H>): Promise<RoutingParts<H>> {
  const routing = createRoutingParts(
    { ...clusterNodes(), statusRefreshMs: 0, statusTable: TEST_STATUS_TABLE, replicaWaitMs: 200 },
    adapter,
  );
  await routing.start();
  await fromRouting(routing as RoutingParts<EntityManager>).observe();
  return routing;
}
const PAIRS = 60;
/** A token as the HTTP glue hands it out (no `tokenSecret` here: unsigned). */
const TOKEN = /^\d+:[0-9A-F]+\/[0-9A-F]+$/;
/** What both HTTP apps below answer for a refused token: the status and body an app would map it to. */
const REFUSED = /^Invalid consistency token "nope"/;

/**
 * POSTs to an HTTP app (`init` says how), which writes `body` and answers
 * its id: the answer carries the write's token, and a read sent with it sees
 * the write, and not on `paused`.
 */
async function writeAndReadBack(
  base: string,
  init: RequestInit,
  body: string,
  paused: string,
): Promise<void> {
  const created = await fetch(`${base}/`, { method: 'POST', ...init });
  expect(created.status).toBe(201);
  const token = created.headers.get('consistency-token');
  expect(token).toMatch(TOKEN);
  expect(created.headers.get('served-by')).toBe(PRIMARY_NODE);
  const read = await fetch(`${base}/?id=${await created.text()}`, {
    headers: { 'Consistency-Token': token! },
  });
  expect([read.status, await read.text()]).toEqual([200, body]);
  // The read's scope began at the client's token: the glue seeded it (without it, a read would go
  // to the primary by default and pass the checks above anyway).
  expect(read.headers.get(SEEDED)).toBe(token);
  expect(read.headers.get('served-by')).not.toBe(paused);
  expect(read.headers.get('consistency-token')).toBeTruthy();
}

/** A header the HTTP apps below answer a read with: the position its scope began at. */
const SEEDED = 'x-scope-began-at';

/** The current scope's position, as a token (`none` without one): what the glue seeded it with. */
function seeded(routing: Pick<RoutingParts<unknown>, 'router' | 'tokens'>): string {
  const position = routing.router.currentScope()?.position;
  return position ? routing.tokens.format(position) : 'none';
}

/** A promise and the function that resolves it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('adapters: read-your-writes from replicas, whatever the query layer', () => {
  beforeAll(async () => {
    await sql(
      'primary',
      'CREATE TABLE IF NOT EXISTS lib_adapter_notes (id bigserial PRIMARY KEY, body text NOT NULL)',
    );
    await sql(
      'primary',
      `CREATE TABLE IF NOT EXISTS ${TEST_STATUS_TABLE} (LIKE replica_statuses INCLUDING ALL)`,
    );
    await waitForReplicasToCatchUp();
    PAUSED = replicaNames()[0]!;
    await pauseReplay([PAUSED]);
  });

  afterAll(() => (PAUSED ? resumeReplay([PAUSED]) : undefined));

  describe.each(dialects)('%s', (_, dialect) => {
    let routing: RoutingParts<unknown>;

    beforeAll(async () => {
      routing = await routingFor(dialect.adapter);
    });

    afterAll(() => routing.close());

    it(`${PAIRS} writes each read back with its token: none stale, most from replicas`, async () => {
      let stale = 0;
      let onReplicas = 0;
      for (let i = 0; i < PAIRS; i++) {
        const body = `note ${i} ${Date.now()}`;
        const written = await routing.router.write((db) => dialect.insert(db, body));
        const read = await routing.router.read((db) => dialect.find(db, written.result), {
          token: written.position,
        });
        if (read.result !== body) stale++;
        if (read.servedBy !== PRIMARY_NODE) onReplicas++;
        expect(read.servedBy).not.toBe(PAUSED);
      }
      expect(stale).toBe(0);
      expect(onReplicas / PAIRS).toBeGreaterThan(0.5);
      // The lag was real: the paused replica has none of these rows.
      const last = await sql(PAUSED, 'SELECT 1 FROM lib_adapter_notes WHERE body LIKE $1', [
        `note ${PAIRS - 1} %`,
      ]);
      expect(last).toEqual([]);
    });

    it('a handle kept past its work throws instead of reaching a connection lent to another', async () => {
      let kept: unknown;
      await routing.router.write(async (db) => {
        kept = db;
        return dialect.insert(db, 'kept handle');
      });
      const late = await dialect.insert(kept, 'too late').then(
        () => 'ran',
        (error: Error) => `${error.message} ${(error.cause as Error | undefined)?.message ?? ''}`,
      );
      expect(late).toMatch(/revoked/);
    });

    it('a statement a write’s work leaves behind is refused, not committed with the write', async () => {
      const tag = `${Date.now()}-${Math.random()}`;
      let late: Promise<string> | undefined;
      await routing.router.write(async (db) => {
        await dialect.insert(db, `kept ${tag}`);
        // Sent once the work has returned, while the write still commits.
        late = new Promise<void>((resolve) => setImmediate(resolve))
          .then(() => dialect.insert(db, `left ${tag}`))
          .then(
            () => 'ran',
            (error: Error) =>
              `${error.message} ${(error.cause as Error | undefined)?.message ?? ''}`,
          );
      });
      expect(await late).toMatch(/revoked/);
      const rows = await sql<{ body: string }>(
        'primary',
        'SELECT body FROM lib_adapter_notes WHERE body LIKE $1 ORDER BY id',
        [`% ${tag}`],
      );
      expect(rows.map((r) => r.body)).toEqual([`kept ${tag}`]);
    });

    it('a transaction nested in a write is a savepoint: its failure loses only its part', async () => {
      const tag = `${Date.now()}-${Math.random()}`;
      const written = await routing.router.write((db) =>
        nestedFailure(dialect, db, `kept ${tag}`, `lost ${tag}`),
      );
      const rows = await sql<{ body: string }>(
        'primary',
        'SELECT body FROM lib_adapter_notes WHERE body LIKE $1 ORDER BY id',
        [`% ${tag}`],
      );
      expect(rows.map((r) => r.body)).toEqual([`kept ${tag}`]);
      expect(written.token).not.toBeNull();
    });

    it('callbacks of a savepoint rolled back: its afterCommit never runs, its afterRollback does', async () => {
      const ran: string[] = [];
      const note = (what: string) => () => void ran.push(what);
      await routing.router.write(async (db) => {
        routing.router.afterCommit(note('commit: before'));
        await dialect
          .transaction(db, async (inner) => {
            await dialect.insert(inner, 'callbacks: rolled back');
            routing.router.afterCommit(note('commit: rolled back'));
            routing.router.afterRollback(note('rollback: rolled back'));
            // A service's own write joins that savepoint: its callbacks go with it.
            await routing.router.write((again) => {
              routing.router.afterCommit(note('commit: nested write, rolled back'));
              return dialect.insert(again, 'callbacks: nested write');
            });
            throw new Error('the savepoint rolls back');
          })
          .catch(() => undefined);
        await dialect.transaction(db, async (inner) => {
          await dialect.insert(inner, 'callbacks: released');
          routing.router.afterCommit(note('commit: released'));
          routing.router.afterRollback(note('rollback: released'));
        });
        routing.router.afterCommit(note('commit: after'));
      });
      expect(ran).toEqual([
        'commit: before',
        'commit: released',
        'commit: after',
        'rollback: rolled back',
      ]);
    });

    it('a write nested in a transaction of the outer write rolls back with it, not past it', async () => {
      // A service's own write (here: a nested router.write) gets the outer write's handle, not the
      // transaction it runs in: the savepoints of both must still be told apart.
      const tag = `${Date.now()}-${Math.random()}`;
      await routing.router.write(async (db) => {
        await dialect.insert(db, `kept ${tag}`);
        await dialect
          .transaction(db, async (inner) => {
            await dialect.insert(inner, `outer ${tag}`);
            await routing.router.write((again) =>
              nestedFailure(dialect, again, `nested ${tag}`, `lost ${tag}`),
            );
            throw new Error('the outer transaction fails after the nested write');
          })
          .catch(() => undefined);
      });
      const rows = await sql<{ body: string }>(
        'primary',
        'SELECT body FROM lib_adapter_notes WHERE body LIKE $1 ORDER BY id',
        [`% ${tag}`],
      );
      expect(rows.map((r) => r.body)).toEqual([`kept ${tag}`]);
    });
  });

  it('Kysely: a controlled transaction’s own savepoints carry their callbacks too', async () => {
    const routing = await routingFor(kysely.adapter);
    try {
      const ran: string[] = [];
      const note = (what: string) => () => void ran.push(what);
      await routing.router.write(async (db) => {
        const trx = await db.startTransaction().execute();
        const a = await trx.savepoint('a').execute();
        await kysely.insert(a, 'callbacks: rolled back to a');
        routing.router.afterCommit(note('after a, rolled back to a'));
        const b = await a.savepoint('b').execute();
        routing.router.afterCommit(note('in b, rolled back with it'));
        await b.rollbackToSavepoint('a').execute();
        routing.router.afterCommit(note('after the rollback to a'));
        await a.releaseSavepoint('a').execute();
        routing.router.afterCommit(note('after a'));
        await trx.commit().execute();
      });
      expect(ran).toEqual(['after the rollback to a', 'after a']);
    } finally {
      await routing.close();
    }
  });

  it('Kysely: a connection-bound handle kept past its work throws (Kysely keeps a bound query)', async () => {
    const routing = await routingFor(kysely.adapter);
    try {
      let kept: Parameters<typeof kysely.find>[0] | undefined;
      await routing.router.read((db) =>
        db.connection().execute(async (connection) => {
          kept = connection;
          return kysely.find(connection, 0);
        }),
      );
      await expect(kysely.find(kept!, 0)).rejects.toThrow(/revoked/);
    } finally {
      await routing.close();
    }
  });

  it('a read whose work opens its own transaction with an isolation level: a replica, or the primary for SERIALIZABLE', async () => {
    const routing = await routingFor(typeormAdapter());
    try {
      const body = `isolation read ${Date.now()}`;
      const written = await routing.router.write((em) => typeorm.insert(em, body));
      const served: string[] = [];
      // Fresh connections (checked in-band, in a snapshot transaction of the library's), then
      // proven ones: the work's own BEGIN ... ISOLATION LEVEL must work on both.
      const levels = ['READ COMMITTED', 'REPEATABLE READ', 'SERIALIZABLE'] as const;
      for (let i = 0; i < 18; i++) {
        const level = levels[i % 3]!;
        const read = await routing.router.read(
          (em) => em.transaction(level, async (inner) => typeorm.find(inner, written.result)),
          { token: written.position },
        );
        expect([level, read.result]).toEqual([level, body]);
        served.push(`${level}: ${read.servedBy === PRIMARY_NODE ? 'primary' : 'replica'}`);
      }
      // A standby refuses serializable mode: those go to the primary. The others run on replicas
      // (a read may still go to the primary when no replica has replayed its token in time).
      expect(served.filter((s) => s.startsWith('SERIALIZABLE'))).toEqual(
        Array(6).fill('SERIALIZABLE: primary'),
      );
      expect(served).toEqual(
        expect.arrayContaining(['REPEATABLE READ: replica', 'READ COMMITTED: replica']),
      );
    } finally {
      await routing.close();
    }
  });

  it('TypeORM: a transaction nested in a write refuses an isolation level it could not set', async () => {
    const routing = await routingFor(typeormAdapter());
    try {
      const tag = `isolation ${Date.now()}`;
      // Refused before anything is sent: the write's own transaction goes on, whole.
      await routing.router.write(async (em) => {
        await typeorm.insert(em, `${tag} before`);
        await expect(
          em.transaction('SERIALIZABLE', (inner) => typeorm.insert(inner, `${tag} inner`)),
        ).rejects.toThrow(/cannot set an isolation level/);
        // The same through the query runner: refused, not turned into a bare SAVEPOINT.
        await expect(em.queryRunner!.startTransaction('SERIALIZABLE')).rejects.toThrow(
          /cannot set an isolation level/,
        );
        await typeorm.insert(em, `${tag} after`);
        // Without a level it nests as before.
        await em.transaction((inner) => typeorm.insert(inner, `${tag} nested`));
      });
      const rows = await sql<{ body: string }>(
        'primary',
        'SELECT body FROM lib_adapter_notes WHERE body LIKE $1 ORDER BY id',
        [`${tag} %`],
      );
      expect(rows.map((r) => r.body)).toEqual([`${tag} before`, `${tag} after`, `${tag} nested`]);
    } finally {
      await routing.close();
    }
  });

  it('TypeORM: preload() loads on the work’s own connection, in its transaction', async () => {
    const Note = new EntitySchema<{ id: string; body: string }>({
      name: 'LibAdapterNote',
      tableName: 'lib_adapter_notes',
      columns: { id: { type: 'bigint', primary: true, generated: true }, body: { type: 'text' } },
    });
    // One connection per node: a load on another would wait for it, and time out.
    const routing = createRoutingParts(
      { ...clusterNodes(), statusTable: TEST_STATUS_TABLE, poolSize: 1, connectTimeoutMs: 2000 },
      typeormAdapter({ entities: [Note] }),
    );
    await routing.start();
    try {
      const tag = `preload ${Date.now()}`;
      const { result } = await routing.router.write(async (em) => {
        const id = String(await typeorm.insert(em, tag));
        // Not committed yet: only this transaction sees the row.
        return em.getRepository(Note).preload({ id, body: `${tag} changed` });
      });
      expect(result).toMatchObject({ body: `${tag} changed` });
    } finally {
      await routing.close();
    }
  });

  it('a write whose failed statement the work swallowed is rolled back and reported, not committed', async () => {
    const routing = await routingFor(pgAdapter());
    try {
      // Fresh, the router asks synchronous_commit before COMMIT (25P02 in an aborted transaction);
      // after a commit it knows there are no synchronous standbys and sends COMMIT at once (whose
      // answer is then ROLLBACK). Either way the outcome is known: nothing was committed.
      for (const round of ['fresh', 'after a commit']) {
        const tag = `aborted ${round} ${Date.now()}`;
        const writing = routing.router.write(async (db) => {
          await pg.insert(db, tag);
          await db.query('SELECT 1 / 0').catch(() => undefined);
        });
        await expect(writing).rejects.toBeInstanceOf(TransactionAbortedError);
        const rows = await sql('primary', 'SELECT 1 FROM lib_adapter_notes WHERE body = $1', [tag]);
        expect([round, rows]).toEqual([round, []]);
        await routing.router.write((db) => pg.insert(db, `committed ${round}`));
      }
    } finally {
      await routing.close();
    }
  });

  it('TypeORM: a transaction() after a swallowed failure leaves the write’s transaction to the library: nothing committed', async () => {
    const routing = await routingFor(typeormAdapter());
    try {
      const tag = `typeorm aborted ${Date.now()}`;
      const writing = routing.router.write(async (em) => {
        await typeorm.insert(em, `${tag} a`);
        await em.query('SELECT 1 / 0').catch(() => undefined);
        // Its SAVEPOINT fails (25P02): TypeORM would roll back at the top level, ending the write's
        // transaction, and what follows would commit on its own.
        await em.transaction(() => Promise.resolve()).catch(() => undefined);
        await typeorm.insert(em, `${tag} b`).catch(() => undefined);
      });
      await expect(writing).rejects.toBeInstanceOf(TransactionAbortedError);
      const rows = await sql('primary', 'SELECT body FROM lib_adapter_notes WHERE body LIKE $1', [
        `${tag}%`,
      ]);
      expect(rows).toEqual([]);
    } finally {
      await routing.close();
    }
  });

  it("plain pg: a transaction() whose COMMIT the server answered ROLLBACK fails, in a write without the router's transaction", async () => {
    const routing = await routingFor(pgAdapter());
    try {
      const tag = `own transaction aborted ${Date.now()}`;
      const writing = routing.router.write(
        (db) =>
          db.transaction(async (tx) => {
            await pg.insert(tx, tag);
            await tx.query('SELECT 1 / 0').catch(() => undefined);
          }),
        { transaction: false },
      );
      await expect(writing).rejects.toBeInstanceOf(TransactionAbortedError);
      const rows = await sql('primary', 'SELECT 1 FROM lib_adapter_notes WHERE body = $1', [tag]);
      expect(rows).toEqual([]);
    } finally {
      await routing.close();
    }
  });

  describe('Express middleware (consistency)', () => {
    let routing: RoutingParts<PgHandle>;
    let server: Server;
    let base: string;

    beforeAll(async () => {
      routing = await routingFor(pgAdapter());
      const middleware = consistency(routing);
      // node:http with the middleware in front, as an Express app mounts it.
      server = createServer((req, res) =>
        middleware(req, res, (error?: unknown) => {
          if (error) {
            res.writeHead(400).end(error instanceof Error ? error.message : 'bad request');
            return;
          }
          void (async () => {
            if (req.method === 'POST') {
              const { result } = await routing.router.write((db) => pg.insert(db, 'via http'));
              res.writeHead(201).end(String(result));
            } else {
              const id = Number(new URL(req.url!, 'http://x').searchParams.get('id'));
              res.setHeader(SEEDED, seeded(routing));
              const { result } = await routing.router.read((db) => pg.find(db, id));
              res.writeHead(result === null ? 404 : 200).end(result ?? '');
            }
          })();
        }),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
      await routing.close();
    });

    it('hands out the write’s token and honours it on the next request', async () => {
      await writeAndReadBack(base, {}, 'via http', PAUSED);
    });

    it('refuses a malformed token', async () => {
      const read = await fetch(`${base}/?id=1`, { headers: { 'Consistency-Token': 'nope' } });
      expect(read.status).toBe(400);
      expect(await read.text()).toMatch(REFUSED);
    });
  });

  describe('Fastify plugin (consistencyPlugin)', () => {
    let routing: RoutingParts<PgHandle>;
    let app: FastifyInstance;
    let base: string;
    /** What `GET /pair` saw: each request's scope, and when both are in and the write is done. */
    let pair: { scopes: (RoutingScope | undefined)[]; both: Deferred; written: Deferred };
    type Deferred = ReturnType<typeof deferred>;
    /** How many times a handler of `/` ran. */
    let ran = 0;

    beforeAll(async () => {
      routing = await routingFor(pgAdapter());
      app = Fastify();
      // As the Express app above: the plugin hands a bad token to the app's error handler.
      app.setErrorHandler((error, _request, reply) =>
        error instanceof InvalidConsistencyTokenError
          ? reply.code(400).send(error.message)
          : reply.code(500).send(String(error)),
      );
      await app.register(consistencyPlugin(routing));
      // A JSON body: the handler runs after Fastify has read it, from the request stream.
      app.post<{ Body: { body: string } }>('/', async (request, reply) => {
        ran++;
        const { result } = await routing.router.write((db) => pg.insert(db, request.body.body));
        return reply.code(201).send(String(result));
      });
      app.get<{ Querystring: { id: string } }>('/', async (request, reply) => {
        ran++;
        void reply.header(SEEDED, seeded(routing));
        const { result } = await routing.router.read((db) => pg.find(db, Number(request.query.id)));
        return reply.code(result === null ? 404 : 200).send(result ?? '');
      });
      // Two requests in flight at once: the writer writes while the idle one waits, in its scope.
      app.get<{ Querystring: { role: string } }>('/pair', async (request) => {
        pair.scopes.push(routing.context.current());
        if (pair.scopes.length === 2) pair.both.resolve();
        await pair.both.promise;
        if (request.query.role === 'writer') {
          await routing.router.write((db) => pg.insert(db, 'pair'));
          pair.written.resolve();
        } else await pair.written.promise;
        return request.query.role;
      });
      // A request's scope as its handler sees it: there, fresh, and nested in no other.
      app.get('/scope', (_request, reply) => {
        const scope = routing.context.current();
        return reply.send({ scoped: scope !== undefined, nested: scope?.parent !== undefined });
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await app.close();
      await routing.close();
    });

    it('hands out the write’s token and honours it on the next request', async () => {
      const json = { 'content-type': 'application/json' };
      const init = { headers: json, body: JSON.stringify({ body: 'via fastify' }) };
      await writeAndReadBack(base, init, 'via fastify', PAUSED);
    });

    it('refuses a malformed token as the Express middleware does, before the handler', async () => {
      const runs = ran;
      const read = await fetch(`${base}/?id=1`, { headers: { 'Consistency-Token': 'nope' } });
      expect([read.status, await read.text()]).toEqual([400, expect.stringMatching(REFUSED)]);
      expect(read.headers.get('consistency-token')).toBeNull();
      expect(ran).toBe(runs);
    });

    it('checks a token that needs the primary before the handler, and refuses one ahead of it', async () => {
      const runs = ran;
      // Unsigned, far beyond any position this process knows: left pending, then asked of the primary.
      const read = await fetch(`${base}/?id=1`, {
        headers: { 'Consistency-Token': 'FFFFFFF/0' },
      });
      expect([read.status, await read.text()]).toEqual([
        400,
        expect.stringMatching(/ahead of the primary/),
      ]);
      expect(ran).toBe(runs);
    });

    it('keeps concurrent requests, and requests on a kept-alive connection, in scopes of their own', async () => {
      pair = { scopes: [], both: deferred(), written: deferred() };
      const [writer, idle] = await Promise.all([
        fetch(`${base}/pair?role=writer`),
        fetch(`${base}/pair?role=idle`),
      ]);
      expect([await writer.text(), await idle.text()]).toEqual(['writer', 'idle']);
      expect(writer.headers.get('consistency-token')).toMatch(TOKEN);
      expect(writer.headers.get('served-by')).toBe(PRIMARY_NODE);
      // The write was the other request's: nothing of it shows in this one's headers.
      expect(idle.headers.get('consistency-token')).toBeNull();
      expect(idle.headers.get('served-by')).toBeNull();
      expect(pair.scopes).toHaveLength(2);
      expect(pair.scopes[0]).toBeDefined();
      expect(pair.scopes[1]).toBeDefined();
      expect(pair.scopes[0]).not.toBe(pair.scopes[1]);
      expect(pair.scopes.map((scope) => scope?.parent)).toEqual([undefined, undefined]);
      // fetch keeps its connections alive: these reuse the two above, one after the other.
      for (let i = 0; i < 3; i++) {
        const next = await fetch(`${base}/scope`);
        expect(await next.json()).toEqual({ scoped: true, nested: false });
        expect(next.headers.get('consistency-token')).toBeNull();
      }
    });
  });
});
