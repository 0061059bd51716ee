import { Client } from 'pg';
import request from 'supertest';
import {
  startApi,
  startPrivateCluster,
  type InProcessApi,
  type LocalCluster,
} from '@app/dev-tools';
import { waitUntil } from '../../../tools/src/process/wait';
import { e2eEnv } from '../../../test/e2e/e2e.env';
import { createRider } from './api.harness';

/**
 * The API across a promotion that Patroni would not stage on demand: a
 * private cluster of three plain nodes (pg0 the primary, pg1 and pg2 its
 * replicas) given as DATABASE_HOSTS, roles discovered by asking each host.
 * Ports from E2E_PROMOTE_PORT (default 23433), which the library's
 * promotion-races suite also takes: suites run one at a time.
 */
const PORT = Number(process.env.E2E_PROMOTE_PORT ?? 23433);
const HOST_NAMES: Record<string, string> = { primary: 'pg0', replica0: 'pg1', replica1: 'pg2' };
const describeFailover = e2eEnv().external ? describe.skip : describe;

jest.setTimeout(120_000);

describeFailover('the API across a failover', () => {
  let cluster: LocalCluster;
  let api: InProcessApi;

  beforeAll(async () => {
    ({ cluster } = await startPrivateCluster('api-failover', PORT, { replicas: 2 }));
    const hosts = cluster.nodes.map((n) => `${HOST_NAMES[n.name]}=${cluster.url(n.name)}`);
    // As the superuser: the API's role may not read the timeline history file, and here no
    // Patroni serves it.
    api = await startApi(
      { DATABASE_HOSTS: hosts.join(',') },
      { ELECTION_WAIT_MS: '20000', DISCOVERY_INTERVAL_MS: '600000', STATUS_REFRESH_MS: '50' },
      ['error'],
    );
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await cluster?.stopAll('immediate');
  });

  async function one<T>(node: string, text: string, params: unknown[] = []): Promise<T> {
    const client = new Client({ connectionString: cluster.url(node) });
    await client.connect();
    try {
      return (await client.query(text, params)).rows[0] as T;
    } finally {
      await client.end();
    }
  }

  it('a ride sent without a token, authenticated on the old primary and written on the new one, reads back with its token', async () => {
    const rider = await createRider(api.url);
    // pg1, the one to be promoted, has the rider and the key.
    await waitUntil(
      async () =>
        (
          await one<{ n: number }>(
            'replica0',
            'SELECT count(*)::int AS n FROM api_keys WHERE user_id = $1',
            [rider.id],
          )
        ).n > 0,
      { timeoutMs: 10_000, what: 'the rider on pg1' },
    );
    // pg1 receives nothing more: timeline 2 will begin where its WAL ends.
    const { pid: sender } = await one<{ pid: number }>(
      'primary',
      "SELECT pid FROM pg_stat_replication WHERE application_name = 'replica0'",
    );
    process.kill(sender, 'SIGSTOP');
    const blocker = new Client({ connectionString: cluster.url('primary') });
    blocker.on('error', () => undefined);
    let written: Promise<request.Response> | undefined;
    try {
      // A transaction holds the rider's row (its lock is WAL pg1 never gets): the ride's insert
      // waits behind it, after the request authenticated on pg0.
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [rider.id]);
      written = request(api.url)
        .post('/rides')
        .set(rider.auth)
        .send({ distance: 12.5 })
        .then((response) => response);
      await waitUntil(
        async () =>
          (
            await one<{ n: number }>(
              'primary',
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO%rides%'",
            )
          ).n > 0,
        { timeoutMs: 10_000, what: 'the ride’s insert to wait for the lock' },
      );
      // pg0 is lost; pg1 is promoted with what it had.
      await cluster.stopNode('primary', 'kill');
    } finally {
      // Also when the staging failed: nothing stopped is left behind (the request ends with pg0).
      killIfAlive(sender); // an orphan the postmaster's death does not end
      await blocker.end().catch(() => undefined);
    }
    await one('replica0', 'SELECT pg_promote(true, 60)');

    const ride = await written;
    expect(ride.status).toBe(201);
    const token = ride.headers['consistency-token'] as string;
    const read = await request(api.url)
      .get(`/rides/${ride.body.id as number}`)
      .set(rider.auth)
      .set('Consistency-Token', token);
    expect({ status: read.status, distance: read.body.distance }).toEqual({
      status: 200,
      distance: 12.5,
    });
    // Its write's token, of timeline 2: not the position authentication took on pg0, past the
    // start of timeline 2, which would have that read refused (410) though the ride survived.
    expect(token).toMatch(/^2:/);
  });
});

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
