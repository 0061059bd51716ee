import type { EntityManager } from 'typeorm';
import { Test, type TestingModule } from '@nestjs/testing';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { LocalCluster, findPostgresBinaries } from '@app/dev-tools';
import { LOCAL_CREDENTIALS } from '../../../tools/src/credentials';
import { e2eEnv } from '../../../test/e2e/e2e.env';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatLsn, parseLsn, PrimaryUnavailableError, ReplicaRouter } from '../src';
import { createRoutingParts } from '../src/replica-routing';
import { parseHistoryFile } from '../src/topology/timeline-history';
import { ReplicaRoutingModule } from '../src/nest';
import { replicaStatusesMigrations, typeormAdapter } from '../src/typeorm';
import { Topology } from '../src/topology/topology.service';
import { TopologyDiscovery } from '../src/topology/topology-discovery.service';
import { findNote, insertNote } from './notes.fixture';
import { fromModule } from './routing.harness';

/**
 * Races with a promotion that Patroni would not stage on demand, on a private
 * cluster of three plain nodes (primary, replica0, replica1) that each test
 * builds and breaks: routers given hosts discover roles with
 * `pg_is_in_recovery()`. Ports from E2E_PROMOTE_PORT (default 23433).
 */
const PORT = Number(process.env.E2E_PROMOTE_PORT ?? 23433);
const HOST_NAMES: Record<string, string> = { primary: 'pg0', replica0: 'pg1', replica1: 'pg2' };
const describePromote = e2eEnv().external ? describe.skip : describe;

jest.setTimeout(120_000);

describePromote('a promotion racing a read or a write', () => {
  let cluster: LocalCluster;
  let module: TestingModule | undefined;

  beforeEach(async () => {
    cluster = new LocalCluster(
      {
        dataDir: `${process.cwd()}/.cluster-promote`,
        host: '127.0.0.1',
        port: PORT,
        replicas: 2,
        ...LOCAL_CREDENTIALS,
        fsync: false,
      },
      findPostgresBinaries(),
    );
    await cluster.create();
    await cluster.startAll({ foreground: true });
    await cluster.waitStreaming();
    const setup = new DataSource({
      type: 'postgres',
      url: cluster.url(),
      migrations: [...replicaStatusesMigrations()],
    });
    await setup.initialize();
    await setup.runMigrations();
    await setup.query('CREATE TABLE lib_notes (id serial PRIMARY KEY, body text NOT NULL)');
    await setup.destroy();
    module = await Test.createTestingModule({
      imports: [
        ReplicaRoutingModule.forRoot({
          adapter: typeormAdapter(),
          hosts: cluster.nodes.map((n) => ({
            name: HOST_NAMES[n.name]!,
            url: cluster.url(n.name),
          })),
          discoveryIntervalMs: 600_000,
          electionWaitMs: 5_000,
          statusRefreshMs: 0,
        }),
      ],
    }).compile();
    await module.init();
    await waitUntil(async () => {
      await module!.get(TopologyDiscovery).refresh();
      return module!.get(Topology).replicas.length === 2;
    });
  }, 120_000);

  afterEach(async () => {
    await module?.close();
    await cluster.stopAll('immediate');
  });

  const admin = async <T>(node: string, fn: (c: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ connectionString: cluster.url(node) });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  const one = async <T>(node: string, text: string): Promise<T> =>
    admin(node, async (c) => (await c.query(text)).rows[0] as T);
  /** The primary's WAL sender to `replica`: stopped, it sends nothing more (what is in flight arrives). */
  const senderPid = async (replica: string) =>
    (
      await one<{ pid: number }>(
        'primary',
        `SELECT pid FROM pg_stat_replication WHERE application_name = '${replica}'`,
      )
    ).pid;

  /** Kills the primary (a lost machine) and promotes replica0 (pg1), whose sender was stopped. */
  async function failOverTo(sender: number): Promise<void> {
    await cluster.stopNode('primary', 'kill');
    try {
      process.kill(sender, 'SIGKILL'); // an orphan the postmaster's death does not end
    } catch {
      // already gone
    }
    await one('replica0', 'SELECT pg_promote(true, 60)');
  }

  it('a read whose token names a timeline the router learns only while resolving it is not served by a replica left on the old one', async () => {
    const router = module!.get<ReplicaRouter<EntityManager>>(ReplicaRouter);
    // The router learns pg2's position (it guesses only on replicas it has news of).
    await fromModule(module!).observe();
    const sender = await senderPid('replica0');
    process.kill(sender, 'SIGSTOP');
    // pg2 replays far past where pg1, which receives nothing now, will fork timeline 2.
    await one(
      'primary',
      "INSERT INTO lib_notes (body) SELECT 'filler' FROM generate_series(1, 50000)",
    );
    const { lsn: end } = await one<{ lsn: string }>(
      'primary',
      'SELECT pg_current_wal_insert_lsn()::text AS lsn',
    );
    await waitUntil(
      async () =>
        (
          await one<{ ok: boolean }>(
            'replica1',
            `SELECT pg_last_wal_replay_lsn() >= '${end}' AS ok`,
          )
        ).ok,
    );
    await failOverTo(sender);
    // A write on the new primary, through another process: this router has not heard of it.
    const { id, lsn, tli } = await admin('replica0', async (c) => {
      const inserted = await c.query<{ id: number }>(
        "INSERT INTO lib_notes (body) VALUES ('on timeline 2') RETURNING id",
      );
      const position = await c.query<{ lsn: string; tli: number }>(
        "SELECT pg_current_wal_insert_lsn()::text AS lsn, ('x' || substr(pg_walfile_name(pg_current_wal_insert_lsn()), 1, 8))::bit(32)::int AS tli",
      );
      return { id: inserted.rows[0]!.id, ...position.rows[0]! };
    });
    expect(tli).toBe(2);
    expect(parseLsn(lsn) < parseLsn(end)).toBe(true); // pg2 is past the token, on timeline 1
    expect(module!.get(Topology).timeline).toBe(1);

    const read = await router.read((em) => findNote(em, id), {
      token: { tli, lsn: parseLsn(lsn) },
    });
    expect(read.result).toBe('on timeline 2');
    expect(read.servedBy).toBe('primary');
  });

  it("tokens from before a clean failover are never taken for lost writes while the new history is not out yet: a write, a client's token and a read wait for it", async () => {
    // What Patroni's GET /history answers (its GET /cluster is refused: roles come from the hosts).
    // Patroni records the new timeline's history one HA loop after the promotion: here, when told.
    let history: unknown[] = [];
    const patroni = createServer((req, res) => {
      res.writeHead(req.url === '/history' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url === '/history' ? history : {}));
    });
    await new Promise<void>((resolve) => patroni.listen(0, '127.0.0.1', resolve));
    const { port } = patroni.address() as AddressInfo;
    // The app's role may not run pg_read_file(): it cannot read the history file either.
    const api = cluster.roles.api;
    await admin('primary', (c) =>
      c.query(
        `GRANT SELECT, INSERT ON lib_notes TO ${api.user}; GRANT USAGE ON SEQUENCE lib_notes_id_seq TO ${api.user}`,
      ),
    );
    const appRouting = () =>
      createRoutingParts(
        {
          hosts: cluster.nodes.map((n) => ({
            name: HOST_NAMES[n.name]!,
            url: cluster.urlAs(api, n.name),
          })),
          patroniUrls: [`http://127.0.0.1:${port}`],
          discoveryIntervalMs: 600_000,
          electionWaitMs: 10_000,
          statusRefreshMs: 0,
        },
        typeormAdapter(),
      );
    const writer = appRouting();
    const reader = appRouting();
    await writer.start();
    await reader.start();
    try {
      const before = await writer.router.write((em) => insertNote(em, 'on timeline 1'));
      expect(before.position?.tli).toBe(1);
      // A clean failover: pg1 has every write of timeline 1, so every token of it survives.
      const replayed = `SELECT pg_last_wal_replay_lsn() >= '${formatLsn(before.position!.lsn)}' AS ok`;
      await waitUntil(async () => (await one<{ ok: boolean }>('replica0', replayed)).ok);
      await cluster.stopNode('primary', 'fast');
      await one('replica0', 'SELECT pg_promote(true, 60)');
      const after = await one<{ lsn: string }>(
        'replica0',
        "INSERT INTO lib_notes (body) VALUES ('by another process') RETURNING pg_current_wal_insert_lsn()::text AS lsn",
      );
      const { text: file } = await one<{ text: string }>(
        'replica0',
        "SELECT pg_read_file('pg_wal/00000002.history') AS text",
      );
      // The reader sees the new primary, not yet where timeline 1 ended.
      await reader.discovery.refresh();
      expect(reader.topology.timeline).toBe(2);
      expect(reader.topology.historyComplete).toBe(false);
      const done: string[] = [];
      const finished = <T>(what: string, p: Promise<T>) =>
        p.then((value) => (done.push(what), value));
      const operations = Promise.all([
        // A client holding the old token writes on the new primary: its new token spans both.
        finished(
          'write',
          writer.router.withConsistency(before.position, () =>
            writer.router.write((em) => insertNote(em, 'on timeline 2')),
          ),
        ),
        // A client's old token, checked by a process that knows of the failover.
        finished('token', reader.router.acceptClientToken(reader.tokens.format(before.position!))),
        // A read given tokens of both timelines at once.
        finished(
          'read',
          reader.router.withConsistency(before.position, () =>
            reader.router.read((em) => findNote(em, before.result), {
              token: { tli: 2, lsn: parseLsn(after.lsn) },
            }),
          ),
        ),
      ]);
      // The writer finds the new primary (an election wait), commits, and then must wait too.
      await waitUntil(() => Promise.resolve(writer.topology.timeline === 2));
      await sleep(1000);
      const atPublication = { done: [...done], writerKnows: writer.topology.historyComplete };
      // As Patroni sends it: [timeline, switch point as a byte offset, reason].
      history = [...parseHistoryFile(file)].map(([tli, end]) => [tli, Number(end), 'promoted']);
      const [written, accepted, read] = await operations;
      // Each waited for the history rather than guess or give up.
      expect(atPublication).toEqual({ done: [], writerKnows: false });
      expect(written.position?.tli).toBe(2);
      expect(accepted).toEqual({ tli: 2, lsn: before.position!.lsn });
      expect(read.result.result).toBe('on timeline 1');
      expect(read.position?.tli).toBe(2);
      const again = await writer.router.read((em) => findNote(em, written.result.result), {
        token: written.position,
      });
      expect(again.result).toBe('on timeline 2');
    } finally {
      await writer.close();
      await reader.close();
      patroni.closeAllConnections();
      await new Promise((resolve) => patroni.close(resolve));
    }
  });

  it("a write whose token query fails after the primary moved is reported unknown, not given the new primary's token", async () => {
    const router = module!.get<ReplicaRouter<EntityManager>>(ReplicaRouter);
    const sender = await senderPid('replica0');
    const writing = router.write(async (em) => {
      const id = await insertNote(em, 'committed on the old primary only');
      // pg1 receives nothing more: the commit never reaches it.
      process.kill(sender, 'SIGSTOP');
      // The work's view of the connection passes an assignment on to the connection itself.
      const client = (em.queryRunner as unknown as { databaseConnection: Client })
        .databaseConnection;
      const query = Client.prototype.query as (...args: unknown[]) => Promise<unknown>;
      // Once COMMIT is through, the token query waits for the failover and finds its server gone.
      (client as unknown as { query: unknown }).query = async function (
        this: Client,
        ...args: unknown[]
      ) {
        if (String(args[0]).includes('pg_current_wal_insert_lsn')) {
          await failOverTo(sender);
          await module!.get(TopologyDiscovery).refresh();
        }
        return query.apply(this, args);
      };
      return id;
    });
    await expect(writing).rejects.toBeInstanceOf(PrimaryUnavailableError);
    await expect(writing).rejects.toThrow(/no longer the primary/);
    expect(module!.get(Topology).primaryHost).toBe('pg1');
    const rows = await admin('replica0', (c) =>
      c.query("SELECT 1 FROM lib_notes WHERE body = 'committed on the old primary only'"),
    );
    expect(rows.rowCount).toBe(0); // the new primary never got it
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
