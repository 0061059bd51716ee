import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { parseLsn } from '@app/replica-routing';
import { describeWithNodeControl, e2eEnv, sql } from '../../../test/e2e/cluster.control';
import {
  decodeEntry,
  entryId,
  leaseSession,
  logMetrics,
  LogGapError,
  StreamPublisher,
  toFields,
} from '../src';
import { LogFixture, STREAM } from './log.fixture';

const counter = async (c: { get(): Promise<{ values: { value: number }[] }> }) =>
  (await c.get()).values.reduce((n, v) => n + v.value, 0);

/**
 * The unified log end to end on the suite's cluster and a private Redis: the
 * API's transaction stages events, the streamer sequences and publishes them,
 * two consumers keep the total distance. Each test starts from an empty log
 * (every staged event unsequenced, no consumer state, Redis flushed).
 */
describeWithNodeControl('the unified log', () => {
  const log = new LogFixture();

  beforeAll(() => log.start());
  beforeEach(() => log.reset());
  afterAll(() => log.close());

  it('both consumers count every ride once; totals are exact decimals whatever the batching', async () => {
    // Thirty rides of 0.1: summed as floating point, 3.0000000000000013.
    for (let i = 0; i < 30; i++) await log.ride('0.1');
    log.streamer();
    log.run((s) => log.consumer('consumer0', 7).run(s));
    log.run((s) => log.consumer('consumer1', 13).run(s));
    await log.converged(['consumer0', 'consumer1']);
    const exact = await log.exactState();
    const states = await log.states();
    expect(states.consumer0).toEqual(exact);
    expect(states.consumer1).toEqual(states.consumer0);
    expect(exact.total).toMatch(/^\d+\.\d$/); // numeric, never 3.0000000000000013
  });

  it('failures injected in the streamer and both consumers while rides come: totals still exact', async () => {
    const streamer = log.streamer({ failRate: 0.3 });
    // Small batches, so that many of them fail: a streamer's after XADD (sent again, refused as
    // duplicates), a consumer's before its commit (read again from its saved position).
    const consumers = [log.consumer('consumer0', 3, 0.3), log.consumer('consumer1', 5, 0.3)];
    for (const c of consumers) log.run((s) => c.run(s));
    for (let i = 0; i < 60; i++) await log.ride(`${1 + (i % 9)}.${i % 10}`);
    await log.converged(['consumer0', 'consumer1']);
    const exact = await log.exactState();
    const states = await log.states();
    expect(states.consumer0).toEqual(exact);
    expect(states.consumer1).toEqual(exact);
    expect(streamer.injected).toBeGreaterThan(0);
    expect(consumers.every((c) => c.injected > 0)).toBe(true);
  });

  it('a ride with a low id that commits after higher ones is counted (seq follows commits, not ids)', async () => {
    const held = new Client({ connectionString: e2eEnv().primaryUrl });
    await held.connect();
    await held.query('BEGIN');
    const [late] = (
      await held.query<{ id: string }>(
        'INSERT INTO rides (user_id, distance) VALUES ($1, 7.5) RETURNING id::text AS id',
        [log.userId],
      )
    ).rows;
    await held.query(
      `INSERT INTO log_outbox (type, version, payload)
       SELECT 'ride.created', 1, jsonb_build_object('ride_id', id, 'user_id', user_id, 'distance', distance::text) FROM rides WHERE id = $1`,
      [late!.id],
    );
    const early = [await log.ride('1.0'), await log.ride('2.0')];
    expect(early.every((id) => id > Number(late!.id))).toBe(true);
    log.streamer();
    log.run((s) => log.consumer('consumer0').run(s));
    log.run((s) => log.consumer('consumer1').run(s));
    // Every committed event (the early rides among them) is sequenced and counted before the low
    // id commits. (consumer1 at last_seq alone would also be true at 0, before the first claim.)
    await waitUntil(async () => {
      const [waiting] = await sql<{ n: string }>(
        'primary',
        'SELECT count(*)::text AS n FROM log_outbox WHERE seq IS NULL',
      );
      const last = (await log.truth()).lastSeq;
      return waiting!.n === '0' && (await log.states()).consumer1?.last === last;
    });
    const [clock] = (await held.query<{ at: Date }>('SELECT clock_timestamp() AS at')).rows;
    await held.query('COMMIT'); // the low id commits now: it gets the next seq
    await held.end();
    await log.converged(['consumer0', 'consumer1']);
    const [row] = await sql<{ seq: string; max: string; occurred: Date }>(
      'primary',
      "SELECT seq::text, (SELECT max(seq)::text FROM log_outbox) AS max, occurred_at AS occurred FROM log_outbox WHERE (payload->>'ride_id')::bigint = $1",
      [late!.id],
    );
    expect(row!.seq).toBe(row!.max);
    // Its time is its transaction's commit (what commit-to-apply latency starts from), not its INSERT.
    expect(row!.occurred.getTime()).toBeGreaterThanOrEqual(clock!.at.getTime());
    expect((await log.states()).consumer0).toEqual(await log.exactState());
  });

  it('the outbox keeps positions, the stream carries them signed, and a quiet streamer marks what it sent', async () => {
    for (let i = 0; i < 5; i++) await log.ride('1.5');
    // No consumer (nothing is trimmed), no poll, no maintenance after the first: the claim marks the last
    // round's events, and with no next round the streamer marks them before idling.
    log.streamer({ maintenanceMs: 60_000, pollMs: 60_000 });
    const allMarked = async () =>
      (
        await sql<{ n: string }>(
          'primary',
          'SELECT count(*)::text AS n FROM log_outbox WHERE seq IS NULL OR published_at IS NULL',
        )
      )[0]!.n === '0';
    await waitUntil(allMarked);
    // An idle streamer is woken by the ride's commit (its notification), not by the poll.
    await log.ride('2.5');
    await waitUntil(allMarked, 10_000);
    const rows = await sql<{ seq: string; token: string; ok: boolean }>(
      'primary',
      'SELECT seq::text, token, published_at >= occurred_at AND published_at <= now() AS ok FROM log_outbox WHERE seq IS NOT NULL ORDER BY seq',
    );
    const entries = new Map(
      (await log.client().xrange(STREAM, '-', '+')).map(([id, fields]) => {
        const d = decodeEntry(id, fields);
        if (!d.ok) throw new Error(`entry ${id}: ${d.reason}`);
        return [d.envelope.seq.toString(), d.envelope.token];
      }),
    );
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const row of rows) {
      expect(row.ok).toBe(true);
      const [tli, lsn] = row.token.split(':');
      expect(lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      expect(entries.get(row.seq)).toBe(log.sign({ lsn: parseLsn(lsn!), tli: Number(tli) }));
    }
  });

  it('a claim marks the last round as published, never before its commit time', async () => {
    for (let i = 0; i < 3; i++) await log.ride('1.1');
    await log.withStore(async (store) => {
      // Every staged event gets a seq (the earlier tests' too: each test starts unsequenced).
      let claimed = 0;
      let upTo = 0n;
      for (let batch = await store.claim(500); batch.length > 0; batch = await store.claim(500)) {
        claimed += batch.length;
        upTo = batch.at(-1)!.seq;
      }
      expect(claimed).toBeGreaterThanOrEqual(3);
      // Sent "before" the commits, as a clock behind the database's would say: never earlier.
      expect(await store.claim(500, { upTo, at: new Date(0) })).toEqual([]);
      const rows = await sql<{ marked: boolean }>(
        'primary',
        'SELECT published_at IS NOT NULL AND published_at >= occurred_at AS marked FROM log_outbox WHERE seq <= $1',
        [upTo.toString()],
      );
      expect(rows.length).toBe(claimed);
      expect(rows.every((r) => r.marked)).toBe(true);
    });
  });

  it('the backlog gauges count unpublished events up to a cap, and date the oldest, sequenced or not', async () => {
    for (let i = 0; i < 4; i++) await log.ride('1.2');
    await log.withStore(async (store) => {
      // The oldest two get seqs, not yet published: the oldest is among them.
      expect(await store.claim(2)).toHaveLength(2);
      const all = await store.backlog();
      const [exact] = await sql<{ n: number; oldest: number }>(
        'primary',
        `SELECT count(*)::int AS n, extract(epoch FROM now() - min(occurred_at))::float8 AS oldest
           FROM log_outbox WHERE published_at IS NULL`,
      );
      expect(all.events).toBe(exact!.n);
      expect(Math.abs(all.oldestS - exact!.oldest)).toBeLessThan(1);
      expect(await store.backlog(3)).toMatchObject({ events: 3 });
    });
  });

  it('a full batch published again after a crash is refused as duplicates, and consumers move past it', async () => {
    for (let i = 0; i < 20; i++) await log.ride('3.3');
    // A streamer that published a batch and died before marking it published.
    await log.withStore(
      async (store) => {
        await store.claim(20);
        const crashed = new StreamPublisher(log.client(), STREAM);
        expect((await crashed.publish(await store.unpublished(20))).added).toBe(20);
      },
      (at) => log.sign({ lsn: BigInt(0), tli: at.tli }),
    );
    const duplicates = await counter(logMetrics.duplicatePublish);
    log.run((s) => log.consumer('consumer0', 20).run(s));
    log.streamer(); // re-sends the whole batch
    await log.converged(['consumer0']);
    expect((await counter(logMetrics.duplicatePublish)) - duplicates).toBe(20);
    expect((await log.states()).consumer0).toEqual(await log.exactState());
  });

  it('Redis loses everything (FLUSHALL): the streamer publishes again from the outbox, nothing is lost or counted twice', async () => {
    for (let i = 0; i < 10; i++) await log.ride('4.0');
    log.streamer();
    log.run((s) => log.consumer('consumer0').run(s));
    const stopSlow = log.run((s) => log.consumer('consumer1').run(s));
    await log.converged(['consumer0', 'consumer1']);
    await stopSlow(); // consumer1 stops: the stream must keep what it has not read
    for (let i = 0; i < 10; i++) await log.ride('5.0');
    await log.converged(['consumer0']);
    const republished = await counter(logMetrics.republished);
    await log.client().flushall();
    for (let i = 0; i < 5; i++) await log.ride('6.0');
    await log.converged(['consumer0']);
    // consumer0 may have read the new entries before the streamer noticed what the stream lost.
    await waitUntil(async () => (await counter(logMetrics.republished)) > republished);
    // Trimmed below the slowest consumer only: everything past consumer1's position is there.
    const states = await log.states();
    const kept = await log
      .client()
      .xrange(STREAM, entryId(BigInt(states.consumer1!.last) + 1n), '+');
    expect(kept.length).toBe(Number(states.consumer0!.last) - Number(states.consumer1!.last));
    log.run((s) => log.consumer('consumer1').run(s));
    await log.converged(['consumer0', 'consumer1']);
    expect((await log.states()).consumer1).toEqual(await log.exactState());
  });

  it('an entry whose seq the outbox gave to another event (a claim a failover lost) is not counted', async () => {
    await log.ride('7.0');
    const lost = await log.ride('8.0');
    const [event] = await sql<{ event_id: string; type: string; version: number; payload: string }>(
      'primary',
      "SELECT event_id::text, type, version, payload::text FROM log_outbox WHERE (payload->>'ride_id')::bigint = $1",
      [lost],
    );
    const [at] = await sql<{ tli: number; lsn: string }>(
      'primary',
      'SELECT timeline_id AS tli, pg_current_wal_lsn()::text AS lsn FROM pg_control_checkpoint()',
    );
    // Redis holds that ride's event at seq 1, as a claim on a primary that then died gave it; the
    // database (its new primary) never recorded that claim and gives seq 1 to its oldest event.
    await log.client().xadd(
      STREAM,
      entryId(1n),
      ...toFields({
        eventId: event!.event_id,
        type: event!.type,
        version: event!.version,
        occurredAt: new Date().toISOString(),
        token: log.sign({ tli: at!.tli, lsn: parseLsn(at!.lsn) }),
        payload: JSON.parse(event!.payload) as unknown,
      }),
    );
    await log.consumer('consumer0').register();
    await expect(log.consumer('consumer0').round()).rejects.toThrow(
      /not all the events the outbox gave those seqs/,
    );
    log.streamer(); // the stream ends past the last seq this database gave out: rebuilt
    log.run((s) => log.consumer('consumer0').run(s));
    await log.converged(['consumer0']);
    expect((await log.states()).consumer0).toEqual(await log.exactState());
  });

  it('Redis down: rides keep committing, and the log catches up when it is back', async () => {
    log.streamer();
    log.run((s) => log.consumer('consumer0').run(s));
    await log.ride('1.5');
    await log.converged(['consumer0']);
    await log.redis.stop('SIGKILL');
    for (let i = 0; i < 5; i++) await log.ride('2.5'); // the outbox holds them
    await log.redis.start();
    await log.converged(['consumer0']);
    expect((await log.states()).consumer0).toEqual(await log.exactState());
  });

  it('a stopped consumer ends at once, not when its blocking XREAD would have timed out', async () => {
    const consumer = log.consumer('consumer0', 20, 0, 30_000);
    const stop = log.run((s) => consumer.run(s));
    // Redis lists the consumer's connection as blocked (flag b) in its XREAD.
    const admin = log.client();
    const blocked = async () => /flags=b .*cmd=xread/.test(String(await admin.client('LIST')));
    for (let i = 0; !(await blocked()); i++) {
      if (i === 100) throw new Error('the consumer never blocked in XREAD');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise((resolve) => (timer = setTimeout(resolve, 3000, 'still blocked')));
    const stopped = stop().then(() => 'stopped');
    await expect(Promise.race([stopped, late])).resolves.toBe('stopped');
    clearTimeout(timer);
  });

  it('a rolled-back write leaves no event', async () => {
    const [before] = await sql<{ n: string }>(
      'primary',
      'SELECT count(*)::text AS n FROM log_outbox',
    );
    await expect(
      log.api.write(async (em) => {
        const [row] = await em.query<{ id: string }[]>(
          'INSERT INTO rides (user_id, distance) VALUES ($1, 9.9) RETURNING id::text AS id',
          [log.userId],
        );
        await em.query(
          `INSERT INTO log_outbox (type, version, payload) VALUES ('ride.created', 1, jsonb_build_object('ride_id', $1::bigint))`,
          [row!.id],
        );
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const [after] = await sql<{ n: string }>(
      'primary',
      'SELECT count(*)::text AS n FROM log_outbox',
    );
    expect(after!.n).toBe(before!.n);
  });

  it('an entry it cannot use goes to log_dead_letters and the consumer goes on; a gap stops it', async () => {
    const consumer = await log.settledConsumer(1, '1.0'); // nothing else writes to the stream now
    const last = BigInt((await log.states()).consumer0!.last);
    const redis = log.client();
    await redis.xadd(
      STREAM,
      entryId(last + 1n),
      'type',
      'ride.created',
      'version',
      '2',
      'payload',
      '{}',
    );
    const dead = await counter(logMetrics.deadLetters);
    expect(await consumer.round()).toBe(1);
    expect((await counter(logMetrics.deadLetters)) - dead).toBe(1);
    const letters = await sql<{ seq: string; reason: string }>(
      'primary',
      "SELECT seq::text, reason FROM log_dead_letters WHERE consumer = 'consumer0'",
    );
    expect(letters).toEqual([
      { seq: String(last + 1n), reason: 'unknown version "2" of ride.created' },
    ]);
    // Re-seeded from a state behind that entry (docs/operations.md): it dead-letters it again and
    // goes on, instead of retrying for ever on the letter it wrote the first time.
    await sql('primary', "UPDATE consumer_states SET last_seq = $1 WHERE name = 'consumer0'", [
      String(last),
    ]);
    expect(await consumer.round()).toBe(0); // read on from where it was, then from its saved position
    expect(await consumer.round()).toBe(1);
    expect((await log.states()).consumer0!.last).toBe(String(last + 1n));
    // The letter it already had is not counted again.
    expect((await counter(logMetrics.deadLetters)) - dead).toBe(1);
    // Seq last + 2 is missing: the next one must not be applied. (The database gave out up to
    // last + 3, so it is a gap, not another database's log.)
    await sql('primary', 'UPDATE log_sequence SET last_seq = $1', [String(last + 3n)]);
    await redis.xadd(
      STREAM,
      entryId(last + 3n),
      'type',
      'ride.created',
      'version',
      '1',
      'payload',
      '{}',
    );
    await expect(consumer.round()).rejects.toBeInstanceOf(LogGapError);
    expect((await log.states()).consumer0!.last).toBe(String(last + 1n));
  });

  it('a hole at seqs the outbox gave out but Redis has not taken (one XADD refused) is waited for, not a gap', async () => {
    for (let i = 0; i < 3; i++) await log.ride('1.2');
    await log.withStore(async (store) => {
      const batch = await store.claim(1000); // sequenced, none marked published
      expect(batch.length).toBeGreaterThanOrEqual(3);
      // Redis refused the first XADD of the pipeline and took the rest.
      await new StreamPublisher(log.client(), STREAM).publish(batch.slice(1));
    });
    await log.consumer('consumer0').register();
    const round = log.consumer('consumer0').round();
    await expect(round).rejects.toThrow(/the outbox still has/);
    await expect(round).rejects.not.toBeInstanceOf(LogGapError);
    log.streamer(); // publishes what it has not: the hole is rebuilt
    log.run((s) => log.consumer('consumer0').run(s));
    await log.converged(['consumer0']);
    expect((await log.states()).consumer0).toEqual(await log.exactState());
  });

  it('a ride read back unlike its event is not counted: the consumer reads it back before it applies', async () => {
    const consumer = await log.settledConsumer(3, '2.0'); // nothing else writes to the stream now
    const last = BigInt((await log.states()).consumer0!.last);
    const [row] = await sql<{ token: string; ride: string }>(
      'primary',
      "SELECT token, payload->>'ride_id' AS ride FROM log_outbox WHERE seq = $1",
      [String(last)],
    );
    const [tli, lsn] = row!.token.split(':');
    // An event whose ride reads back with another distance: what a stale read, or an event whose
    // write a failover lost, looks like to a consumer.
    await log.client().xadd(
      STREAM,
      entryId(last + 1n),
      ...toFields({
        eventId: randomUUID(),
        type: 'ride.created',
        version: 1,
        occurredAt: new Date().toISOString(),
        token: log.sign({ lsn: parseLsn(lsn!), tli: Number(tli) }),
        payload: { ride_id: Number(row!.ride), user_id: Number(log.userId), distance: '999.9' },
      }),
    );
    const readBack = { ...consumer.readBack };
    const stale = consumer.staleReadBacks;
    log.run((s) => consumer.run(s));
    // It reads the entry, reads the ride back, refuses the batch, and tries again every 0.5 s:
    // two refusals at least, and nothing applied in between.
    await waitUntil(() => Promise.resolve(consumer.staleReadBacks >= stale + 2), 10_000);
    expect((await log.states()).consumer0!.last).toBe(String(last));
    expect(consumer.readBack).toEqual(readBack);
    // Refused by the read-back itself, not only by the apply's check against the outbox.
    expect(consumer.staleReadBacks).toBeGreaterThanOrEqual(stale + 2);
    expect(consumer.stopped).toBeUndefined();
  });

  it('a stream holding seqs this database never gave out (rebuilt, Redis kept) is rebuilt, not counted and no stop', async () => {
    const consumer = await log.settledConsumer(3, '3.5');
    const { lastSeq } = await log.truth();
    // Another database's entries, past anything this one sequenced.
    await log
      .client()
      .xadd(
        STREAM,
        entryId(BigInt(lastSeq) + 100n),
        'type',
        'ride.created',
        'version',
        '1',
        'payload',
        JSON.stringify({ ride_id: 1, user_id: 1, distance: '1000.0' }),
      );
    for (let i = 0; i < 2; i++) await log.ride('4.5');
    await expect(consumer.round()).rejects.toThrow(/never gave out/);
    log.streamer();
    log.run((s) => log.consumer('consumer0').run(s));
    await log.converged(['consumer0']);
    expect((await log.states()).consumer0).toEqual(await log.exactState());
  });

  it('a consumer that joins after the stream was trimmed below the others waits for a republish, then counts everything', async () => {
    for (let i = 0; i < 5; i++) await log.ride('2.5');
    log.streamer();
    log.run((s) => log.consumer('consumer0').run(s));
    await log.converged(['consumer0']);
    // consumer0 is the only consumer known: the streamer trims everything it has passed.
    await waitUntil(async () => (await log.client().xlen(STREAM)) === 0);
    const late = log.consumer('consumer1');
    log.run((s) => late.run(s));
    await log.converged(['consumer0', 'consumer1']);
    expect(late.stopped).toBeUndefined();
    expect((await log.states()).consumer1).toEqual(await log.exactState());
  });

  it("the lease session asks the server to end it within about 30 s of the streamer's host dying", async () => {
    const session = await leaseSession(e2eEnv().primaryUrl);
    try {
      const { rows } = await session.query<Record<string, string>>(
        "SELECT current_setting('tcp_keepalives_idle') AS idle, current_setting('tcp_keepalives_count') AS count, current_setting('tcp_user_timeout') AS unacked",
      );
      expect(rows[0]).toEqual({ idle: '10', count: '3', unacked: '30000' });
    } finally {
      await session.end();
    }
  });

  it('one streamer holds the lease; a second takes over within 5 s of the first dying', async () => {
    const first = log.streamer();
    await waitUntil(() => Promise.resolve(first.role === 'active'));
    const stopSecond = log.streamer();
    await waitUntil(() => Promise.resolve(stopSecond.role === 'standby'));
    // The first one's session dies (its process would, with it).
    await sql(
      'primary',
      "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = 424242 AND granted",
    );
    const died = Date.now();
    await waitUntil(() => Promise.resolve(stopSecond.role === 'active'), 5_000);
    expect(Date.now() - died).toBeLessThan(5_000);
    await log.ride('8.0');
    log.run((s) => log.consumer('consumer0').run(s));
    await log.converged(['consumer0']);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
