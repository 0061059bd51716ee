import type { EntityManager } from 'typeorm';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { Client } from 'pg';
import { LOCAL_CREDENTIALS } from '../../../tools/src/credentials';
import type { HaCluster } from '../../../tools/src/ha/ha-cluster';
import { startPrivateHaCluster } from '../../../tools/src/ha/private-ha-cluster';
import { e2eEnv } from '../../../test/e2e/e2e.env';
import { ConsistencyTokens, ReplicaRouter, formatLsn, WriteLostError } from '../src';
import { ReplicaRoutingModule, type ReplicaRoutingModuleOptions } from '../src/nest';
import { Topology } from '../src/topology/topology.service';
import { NodeExecutor } from '../src/node-executor.service';
import { TopologyDiscovery } from '../src/topology/topology-discovery.service';
import { findNote, insertNote } from './notes.fixture';
import { typeormAdapter } from '../src/typeorm';

/**
 * The library under a real HA manager: a private Patroni cluster (etcd and
 * three nodes, asynchronous replication so that a failover can lose a write),
 * and routers given hosts, not roles. Ports from E2E_HA_PORT (default 31433).
 */
const external = e2eEnv().external;
const describeHa = external ? describe.skip : describe;
const HA_PORT = Number(process.env.E2E_HA_PORT ?? 31433);
const ELECTION_WAIT_MS = 25_000;

jest.setTimeout(120_000);

describeHa('failover under Patroni (hosts, not roles)', () => {
  let cluster: HaCluster;
  const open: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    ({ cluster } = await startPrivateHaCluster('e2e', HA_PORT, { synchronous: false }));
    await admin(await leaderName(), (c) =>
      c.query('CREATE TABLE IF NOT EXISTS lib_notes (id serial PRIMARY KEY, body text NOT NULL)'),
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(open.map((m) => m.close()));
    await cluster?.stop();
  });

  /** A router on every host as the superuser (the notes table is the test's own). */
  async function router(options: Partial<ReplicaRoutingModuleOptions> = {}) {
    const module = await Test.createTestingModule({
      imports: [
        ReplicaRoutingModule.forRoot({
          adapter: typeormAdapter(),
          hosts: cluster.hosts(LOCAL_CREDENTIALS),
          patroniUrls: cluster.patroniUrls(),
          // Nothing but the failures themselves prompts discovery in these tests.
          discoveryIntervalMs: 600_000,
          electionWaitMs: ELECTION_WAIT_MS,
          statusRefreshMs: 0,
          ...options,
        }),
      ],
    }).compile();
    await module.init();
    open.push(module);
    return {
      module,
      router: module.get<ReplicaRouter<EntityManager>>(ReplicaRouter),
      topology: module.get(Topology),
      discovery: module.get(TopologyDiscovery),
      tokens: module.get(ConsistencyTokens),
    };
  }

  async function leaderName(): Promise<string> {
    return (await cluster.waitForLeader(60_000)).name;
  }

  async function admin<T>(node: string, fn: (c: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: cluster.url(node) });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  it('finds the primary among the hosts, and follows a kill -9 of the leader to the new one', async () => {
    const { router: r, topology, discovery } = await router();
    const first = await leaderName();
    expect(topology.primaryHost).toBe(first);
    // Patroni may still list a replica as starting when the router first asks; it joins the
    // rotation at the next discovery.
    const others = cluster.nodes.map((n) => n.name).filter((n) => n !== first);
    await waitUntil(async () => {
      await discovery.refresh();
      return topology.replicas.length === others.length;
    });
    expect(topology.replicas.map((n) => n.name).sort()).toEqual(others);
    const before = await r.write((em) => insertNote(em, 'before the failover'));
    expect(before.position?.tli).toBeGreaterThanOrEqual(1);
    await cluster.waitForStreaming(30_000);
    // Replication is asynchronous here: the write survives the kill only once a standby has it.
    await waitUntil(async () => {
      const replayed = await Promise.all(
        others.map((n) =>
          admin(n, (c) =>
            c.query<{ ok: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [
              formatLsn(before.token!),
            ]),
          ).then(
            (q) => q.rows[0]!.ok,
            () => false,
          ),
        ),
      );
      return replayed.every(Boolean);
    });

    await cluster.kill(first);
    const started = Date.now();
    // The write waits out the election (no error in between), then lands on the new primary.
    const after = await r.write((em) => insertNote(em, 'after the failover'));
    const tookMs = Date.now() - started;
    expect(tookMs).toBeLessThan(ELECTION_WAIT_MS);
    const second = topology.primaryHost;
    expect(second).not.toBeNull();
    expect(second).not.toBe(first);
    expect((await cluster.leader())?.name).toBe(second);
    expect(after.position!.tli).toBe(before.position!.tli! + 1);

    // The write before the failover survived here (it had replicated): its old-timeline token
    // still reads, from a replica or the new primary.
    const read = await r.read((em) => findNote(em, before.result), { token: before.position });
    expect(read.result).toBe('before the failover');

    await cluster.restart(first);
    await cluster.waitForStreaming(60_000);
  });

  it('a write after a switchover (the primary demoted under the app) finds the new primary', async () => {
    const { router: r, topology } = await router();
    const first = await leaderName();
    await r.write((em) => insertNote(em, 'on the first primary'));
    const target = cluster.nodes.map((n) => n.name).find((n) => n !== first)!;
    await cluster.switchover(target);
    await cluster.waitForLeader(60_000, { not: first });
    // No periodic discovery: only the failure (a lost connection, or SQLSTATE 25006 from the
    // demoted node) can have moved the router.
    const written = await r.write((em) => insertNote(em, 'after the switchover'));
    expect(written.servedBy).toBe('primary');
    expect(topology.primaryHost).toBe(target);
    await cluster.waitForStreaming(60_000);
  });

  it("a promoted node's in-band check refuses a replica read, whatever its replay position", async () => {
    const leader = await leaderName();
    const others = cluster.nodes.map((n) => n.name).filter((n) => n !== leader);
    const hosts = cluster.hosts(LOCAL_CREDENTIALS);
    const url = (name: string) => hosts.find((h) => h.name === name)!.url;
    // Fixed roles, as an app that does not discover would have them.
    const { module } = await router({
      hosts: undefined,
      patroniUrls: undefined,
      primary: { url: url(leader) },
      replicas: others.map((name) => ({ name, url: url(name) })),
    });
    const executor = module.get<NodeExecutor<EntityManager>>(NodeExecutor);
    const promoted = others[0]!;
    const read = () =>
      executor.readOnReplica(promoted, null, null, (em) => findNote(em, 0), {
        waitMs: 0,
        cover: false,
      });
    const before = await read();
    expect(before.served).toBeDefined();
    expect(before.replayed?.lsn).not.toBeNull();

    await cluster.switchover(promoted);
    await cluster.waitForLeader(60_000, { not: leader });
    // The same pooled connection (a promotion restarts nothing): the check itself says no.
    const after = await read();
    expect(after.served).toBeUndefined();
    expect(after.replayed?.lsn).toBeNull();
    await cluster.waitForStreaming(60_000);
  });

  it('a token of a write lost in an asynchronous failover gets WriteLostError, never a miss', async () => {
    const { router: r, tokens, topology } = await router();
    const leader = await leaderName();
    await cluster.waitForStreaming(60_000);
    // Nothing leaves the leader from here: its WAL senders are stopped, so the standbys never
    // receive the next write (asynchronous replication acknowledges it anyway).
    const senders = childPids(cluster, leader, 'walsender');
    expect(senders.length).toBeGreaterThan(0);
    senders.forEach((pid) => process.kill(pid, 'SIGSTOP'));
    const lost = await r.write((em) => insertNote(em, 'lost in the failover'));

    // A lost machine: Patroni, the postmaster and every backend die at once.
    const all = childPids(cluster, leader);
    await cluster.kill(leader);
    all.forEach((pid) => tryKill(pid));
    await cluster.waitForLeader(60_000, { not: leader });
    await r.write((em) => insertNote(em, 'first on the new timeline'));
    expect(topology.timeline).toBe(lost.position!.tli! + 1);

    // The lost write's token, as a client would send it back.
    const text = tokens.format(lost.position!);
    await expect(r.acceptClientToken(text)).rejects.toThrow(WriteLostError);
    const error = await r
      .read((em) => findNote(em, lost.result), { token: lost.position })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(WriteLostError);
    expect((error as WriteLostError).reason).toBe('lost');
    expect((error as Error).message).toMatch(/did not survive a database failover/);

    await cluster.restart(leader);
    await cluster.waitForStreaming(60_000);
  });
});

/** PIDs of a node's postmaster children (`kind` filters by the process title, e.g. walsender). */
function childPids(cluster: HaCluster, node: string, kind?: string): number[] {
  const dir = cluster.node(node).pgdata;
  const postmaster = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(postmaster)], {
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && (!kind || line.includes(kind)))
    .map((line) => Number(line.split(/\s+/)[0]));
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
