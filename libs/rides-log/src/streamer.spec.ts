import { EventEmitter, getEventListeners } from 'node:events';
import type Redis from 'ioredis';
import type { Client } from 'pg';
import { silentPostgres } from '@app/replica-routing/testing/silent-postgres.fixture';
import { leaseSession } from './app/lease.session';
import { entryId, type LogEnvelope } from './log.envelope';
import type { Logger } from '@nestjs/common';
import type { OutboxStore } from './outbox.store';
import { maintainStream } from './stream.maintenance';
import { StreamPublisher } from './stream.publisher';
import { Streamer } from './streamer';
import type { StreamerOptions } from './streamer.options';
import { turningAfterWallStep } from '../test/wall-clock.fixture';

describe('Streamer, readiness and idling', () => {
  const streamerWith = (options: Partial<StreamerOptions>) =>
    new Streamer(
      () => Promise.reject<Client>(new Error('no database here')),
      new EventEmitter() as unknown as Redis,
      () => 'a token',
      options as StreamerOptions,
    );

  it('counts a quiet streamer with a long poll as turning until 15 s past its poll', () => {
    const streamer = streamerWith({ pollMs: 30_000, leaseRetryMs: 1000 });
    expect(streamer.turning(1_000_000)).toBe(false); // no round yet
    streamer.lastRoundAt = 1_000_000;
    expect(streamer.turning(1_000_000 + 44_000)).toBe(true);
    expect(streamer.turning(1_000_000 + 46_000)).toBe(false);
  });

  it('counts its rounds on a monotonic clock: the wall clock stepped an hour ahead makes it no stuck loop', async () => {
    const streamer = streamerWith({ pollMs: 1000, leaseRetryMs: 1000, leaseKey: 1 });
    const stop = new AbortController();
    // Another streamer holds the lease: it stands by, a round each try.
    const session = {
      query: () => {
        setImmediate(() => stop.abort());
        return Promise.resolve({ rows: [{ ok: false }] });
      },
    } as unknown as Client;
    const takeLease = (
      streamer as unknown as { takeLease(c: Client, s: AbortSignal): Promise<void> }
    ).takeLease;
    await takeLease.call(streamer, session, stop.signal);
    expect(streamer.turning()).toBe(true);
    expect(turningAfterWallStep(streamer)).toBe(true);
  });

  it('idles no longer than it is told (the next maintenance), whatever its poll', async () => {
    const streamer = streamerWith({ pollMs: 60_000 });
    const idle = (
      streamer as unknown as {
        idle(s: AbortSignal, l: Promise<never>, waitMs?: number): Promise<void>;
      }
    ).idle;
    const started = Date.now();
    await idle.call(streamer, new AbortController().signal, new Promise<never>(() => undefined), 5);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('does not idle once stopped during its round (an abort listener added then never fires)', async () => {
    const streamer = streamerWith({ pollMs: 60_000 });
    const idle = (
      streamer as unknown as {
        idle(s: AbortSignal, l: Promise<never>, waitMs?: number): Promise<void>;
      }
    ).idle;
    const stop = new AbortController();
    stop.abort();
    const started = Date.now();
    await idle.call(streamer, stop.signal, new Promise<never>(() => undefined), 3_000);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('leaves no listener on the process-long signal behind, however often it idles', async () => {
    const streamer = new Streamer(
      () => Promise.reject<Client>(new Error('no database here')),
      new EventEmitter() as unknown as Redis,
      () => 'a token',
      { pollMs: 1 } as StreamerOptions,
    );
    const idle = (streamer as unknown as { idle(s: AbortSignal, l: Promise<never>): Promise<void> })
      .idle;
    const signal = new AbortController().signal;
    const lost = new Promise<never>(() => undefined);
    for (let i = 0; i < 50; i++) await idle.call(streamer, signal, lost);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});

describe('Streamer, stopped while its primary has stopped answering', () => {
  it('ends: the lease session still busy after a grace is closed under it', async () => {
    const pg = await silentPostgres();
    const streamer = new Streamer(
      () => leaseSession(`postgres://u:p@127.0.0.1:${pg.port}/x`),
      new EventEmitter() as unknown as Redis,
      () => 'a token',
      { leaseKey: 1, leaseRetryMs: 1000, pollMs: 200 } as StreamerOptions,
    );
    const stop = new AbortController();
    const running = streamer.run(stop.signal);
    await new Promise((resolve) => setTimeout(resolve, 300)); // its lease query waits for ever
    stop.abort();
    const ended = await Promise.race([
      running.then(() => 'ended'),
      new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000).unref()),
    ]);
    pg.close();
    expect(ended).toBe('ended');
  }, 15_000);
});

/** A Redis stream in memory: XADD above its top only, XINFO STREAM, DEL, XTRIM MINID. */
class MemoryStream {
  readonly entries = new Map<bigint, string[]>();
  private top = 0n;
  on(): this {
    return this;
  }
  pipeline() {
    const ops: (() => [Error | null, unknown])[] = [];
    const pipeline = {
      xadd: (_key: string, id: string, ...fields: string[]) => {
        ops.push(() => {
          const seq = BigInt(id.split('-')[0]!);
          if (seq <= this.top)
            return [new Error('ERR equal or smaller than the target stream top item'), null];
          this.entries.set(seq, fields);
          this.top = seq;
          return [null, id];
        });
        return pipeline;
      },
      exec: () => Promise.resolve(ops.map((op) => op())),
    };
    return pipeline;
  }
  xinfo(): Promise<unknown[]> {
    if (this.top === 0n) return Promise.reject(new Error('ERR no such key'));
    const seqs = this.seqs();
    const entry = (seq: bigint | undefined) => (seq === undefined ? null : [entryId(seq), []]);
    return Promise.resolve([
      'length',
      seqs.length,
      'last-generated-id',
      entryId(this.top),
      'first-entry',
      entry(seqs[0]),
      'last-entry',
      entry(seqs.at(-1)),
    ]);
  }
  xrange(_key: string, from: string, to: string): Promise<[string, string[]][]> {
    const [low, high] = [BigInt(from.split('-')[0]!), BigInt(to.split('-')[0]!)];
    return Promise.resolve(
      this.seqs()
        .filter((seq) => seq >= low && seq <= high)
        .map((seq) => [entryId(seq), this.entries.get(seq)!]),
    );
  }
  del(): Promise<number> {
    this.entries.clear();
    this.top = 0n;
    return Promise.resolve(1);
  }
  xtrim(_key: string, _how: string, id: string): Promise<number> {
    const below = BigInt(id.split('-')[0]!);
    for (const seq of this.seqs()) if (seq < below) this.entries.delete(seq);
    return Promise.resolve(0);
  }
  seqs(): bigint[] {
    return [...this.entries.keys()].sort((a, b) => (a < b ? -1 : 1));
  }
}

/**
 * A streamer's maintenance (`maintainStream`), with no database: it is given
 * the outbox's side. What one maintenance learns (foreign entries) the next
 * one knows, as in the streamer.
 */
function maintainer() {
  const seen = { foreign: false };
  const logger = { warn: () => undefined } as unknown as Logger;
  return (store: unknown, publisher: unknown) =>
    maintainStream(
      store as OutboxStore,
      publisher as StreamPublisher,
      { batch: 100, retentionS: 3600 },
      seen,
      logger,
    );
}

describe('Streamer, maintaining the stream', () => {
  const envelope = (seq: bigint): LogEnvelope => ({
    seq,
    eventId: `event-${seq}`,
    type: 'ride.created',
    version: 1,
    occurredAt: '2026-12-06T00:00:00Z',
    token: 'a token',
    payload: {},
  });

  it('rebuilds a stream that lost entries in its middle, from the slowest consumer on', async () => {
    const redis = new MemoryStream();
    const publisher = new StreamPublisher(redis as unknown as Redis, 'log');
    // Redis acknowledged 9..10, lost them, then took 11..12 (a pipeline resent on reconnect).
    await publisher.publish([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 11n, 12n].map(envelope));
    const store = {
      positions: () =>
        Promise.resolve({ published: 12n, sequenced: 12n, slowest: 8n, reading: [8n] }),
      published: (after: bigint, upTo: bigint) => {
        const events: LogEnvelope[] = [];
        for (let seq = after + 1n; seq <= upTo; seq++) events.push(envelope(seq));
        return Promise.resolve(events);
      },
      retain: () => Promise.resolve(0),
      backlog: () => Promise.resolve({ events: 0, oldestS: 0 }),
    };
    const maintain = maintainer();
    await maintain(store, publisher);
    expect(redis.seqs()).toEqual([9n, 10n, 11n, 12n]);
  });

  it('counts a re-send refused where the stream holds another event as foreign, and maintenance then rebuilds', async () => {
    const redis = new MemoryStream();
    const publisher = new StreamPublisher(redis as unknown as Redis, 'log');
    // A streamer of an earlier primary wrote its own events at seqs 1..3.
    const old = (seq: bigint) => ({ ...envelope(seq), eventId: `old-${seq}` });
    await publisher.publish([1n, 2n, 3n].map(old));
    expect(await publisher.publish([1n, 2n, 3n, 4n].map(envelope))).toEqual({
      added: 1,
      duplicates: 3,
      foreign: 3,
    });
    // The same events again are plain duplicates.
    expect((await publisher.publish([4n].map(envelope))).foreign).toBe(0);
  });

  it('rebuilds again when a republish meets another streamer’s events (one still writing)', async () => {
    const redis = new MemoryStream();
    const publisher = new StreamPublisher(redis as unknown as Redis, 'log');
    const intruder = new StreamPublisher(redis as unknown as Redis, 'log');
    await publisher.publish([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 11n, 12n].map(envelope));
    let asked = 0;
    const store = {
      positions: () =>
        Promise.resolve({ published: 12n, sequenced: 12n, slowest: 8n, reading: [8n] }),
      published: async (after: bigint, upTo: bigint) => {
        // While this streamer rebuilds (the first ask is its check of what consumers read next,
        // the second its republish), an old primary's streamer writes its own 9 and 10.
        if (++asked === 2) {
          await intruder.publish(
            [9n, 10n].map((seq) => ({ ...envelope(seq), eventId: `old-${seq}` })),
          );
        }
        const events: LogEnvelope[] = [];
        for (let seq = after + 1n; seq <= upTo; seq++) events.push(envelope(seq));
        return events;
      },
      retain: () => Promise.resolve(0),
      backlog: () => Promise.resolve({ events: 0, oldestS: 0 }),
    };
    const maintain = maintainer();
    await maintain(store, publisher);
    expect(redis.entries.get(9n)).toContain('old-9');
    // The next maintenance knows the stream holds foreign events, and rebuilds it.
    await maintain(store, publisher);
    expect(redis.entries.get(9n)).toContain('event-9');
  });
});
