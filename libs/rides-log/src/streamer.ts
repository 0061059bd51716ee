import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Client } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { InjectedFailure, maybeFail } from './failure.injection';
import type { LogEnvelope } from './log.envelope';
import { logMetrics } from './log.metrics';
import { loopTurning } from './loop.health';
import { messageOf, QuietWarner } from '@app/config';
import { OUTBOX_CHANNEL } from './outbox.stager';
import { OutboxStore, type TokenSigner } from './outbox.store';
import { closeNow, endWithin } from '@app/replica-routing/postgres/client-end';
import { StreamPublisher } from './stream.publisher';
import { maintainStream } from './stream.maintenance';
import type { StreamerOptions, StreamerRole } from './streamer.options';

/** How long a stopped streamer's session may stay busy before it is closed under it. */
const STOP_GRACE_MS = 3000;

/**
 * Moves committed outbox events into the Redis stream (docs/design.md, "The
 * unified log"). One streamer is active at a time: it holds a session-level
 * advisory lock on its own connection to the primary (the lease), and does
 * all its database work on that session, so that a streamer that lost its
 * session can no longer sequence or mark anything. Others stand by and try
 * the lease every `leaseRetryMs`.
 */
export class Streamer {
  private readonly logger = new Logger('Streamer');
  private readonly warner = new QuietWarner(this.logger);
  role: StreamerRole = 'starting';
  /** When the loop last completed a round (for readiness: {@link turning}). */
  lastRoundAt = 0;
  /** Failures injected so far (STREAMER_FAIL_RATE). */
  injected = 0;
  private wake: (() => void) | undefined;
  /** A NOTIFY or a Redis reconnect came since the round began: no idling. */
  private woken = false;
  private repairNeeded = true;
  /** A publish found seqs the stream holds as other events (the stream is to be rebuilt). */
  private readonly seen = { foreign: false };

  /**
   * Whether, after the last round, every sequenced event was in the stream
   * (this session is the only one that sequences and publishes); the last
   * ones may still wait in `sent` to be marked.
   */
  private allPublished = false;

  /** Events in the stream not yet marked published in the outbox (the next claim marks them). */
  private sent: { upTo: bigint; at: Date } | null = null;

  constructor(
    private readonly connect: () => Promise<Client>,
    private readonly redis: Redis,
    private readonly sign: TokenSigner,
    private readonly options: StreamerOptions,
  ) {
    // A Redis that came back may have lost its last entries (or all of them).
    redis.on('ready', () => {
      this.repairNeeded = true;
      this.poke();
    });
  }

  /** Whether the loop is turning ({@link loopTurning}): a round, or standing by a try of the lease, ended lately. */
  turning(now = performance.now()): boolean {
    const longestWait = Math.max(this.options.pollMs, this.options.leaseRetryMs);
    return loopTurning(this.lastRoundAt, longestWait, now);
  }

  /**
   * Runs until `signal` aborts; a lost session or a failure starts over with
   * the lease. Stopped, it finishes its round (it marks what it sent), but a
   * session still busy {@link STOP_GRACE_MS} later (a primary that stopped
   * answering) is closed under it.
   */
  async run(signal: AbortSignal): Promise<void> {
    let session: Client | undefined;
    const cut = () => setTimeout(() => closeNow(session), STOP_GRACE_MS).unref();
    signal.addEventListener('abort', cut, { once: true });
    while (!signal.aborted) {
      session = undefined;
      try {
        session = await this.connect();
        session.on('error', () => undefined);
        await this.takeLease(session, signal);
        if (signal.aborted) break;
        await this.serve(session, signal);
      } catch (error) {
        if (signal.aborted) break;
        this.warner.warn(`${messageOf(error)}; starting over every 1 s`);
        await sleep(1000, undefined, { signal }).catch(() => undefined);
      } finally {
        this.role = 'starting';
        // Bounded: a silent server never answers Terminate.
        if (session) await endWithin(session, STOP_GRACE_MS);
      }
    }
    signal.removeEventListener('abort', cut);
  }

  private async takeLease(session: Client, signal: AbortSignal): Promise<void> {
    let told = false;
    while (!signal.aborted) {
      const { rows } = await session.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock($1) AS ok',
        [this.options.leaseKey],
      );
      if (rows[0]!.ok) {
        this.logger.log('holding the lease: active');
        this.role = 'active';
        return;
      }
      this.role = 'standby';
      if (!told) this.logger.log('another streamer holds the lease: standing by');
      told = true;
      this.lastRoundAt = performance.now();
      await sleep(this.options.leaseRetryMs, undefined, { signal }).catch(() => undefined);
    }
  }

  private async serve(session: Client, signal: AbortSignal): Promise<void> {
    const store = new OutboxStore(session, this.sign);
    const publisher = new StreamPublisher(this.redis, this.options.stream);
    const lost = new Promise<never>((_, reject) => {
      session.once('error', (e: Error) => reject(e));
      session.once('end', () => reject(new Error('the lease session ended')));
    });
    void lost.catch(() => undefined);
    session.on('notification', () => this.poke());
    await session.query(`LISTEN ${OUTBOX_CHANNEL}`);
    this.repairNeeded = true;
    this.allPublished = false;
    this.sent = null;
    let maintainedAt = -Infinity;
    while (!signal.aborted) {
      if (this.repairNeeded || performance.now() - maintainedAt >= this.options.maintenanceMs) {
        this.repairNeeded = false;
        await Promise.race([
          this.markSent(store).then(() =>
            maintainStream(store, publisher, this.options, this.seen, this.logger),
          ),
          lost,
        ]);
        maintainedAt = performance.now();
      }
      this.woken = false;
      // The last round's events are marked published by the claim itself: one round trip a round.
      const claimed = await Promise.race([store.claim(this.options.batch, this.sent), lost]);
      this.sent = null;
      // Nothing older waits to be published: the batch just sequenced is all there is to send.
      const known: LogEnvelope[] | undefined = this.allPublished ? claimed : undefined;
      this.allPublished = false;
      const pending: number = await Promise.race([
        this.publishPending(store, publisher, known),
        lost,
      ]).catch((error: unknown) => {
        // As if the process had died there: the next round sends the same batch again.
        if (!(error instanceof InjectedFailure)) throw error;
        this.injected++;
        this.logger.debug(error.message);
        return this.options.batch;
      });
      this.allPublished = pending < this.options.batch;
      this.lastRoundAt = performance.now();
      if (claimed.length < this.options.batch && pending < this.options.batch) {
        // Nothing more to claim now: mark what was sent before idling, unless a commit came since.
        if (!this.woken) await Promise.race([this.markSent(store), lost]);
        // No longer than until the next maintenance is due: a quiet log gets it on time too.
        const dueInMs = maintainedAt + this.options.maintenanceMs - performance.now();
        await this.idle(signal, lost, Math.max(0, Math.min(this.options.pollMs, dueInMs)));
      }
    }
    // Stopping: what was sent is marked, or the next streamer would send it again.
    await Promise.race([this.markSent(store), lost]).catch(() => undefined);
  }

  private async markSent(store: OutboxStore): Promise<void> {
    if (this.sent === null) return;
    await store.markPublished(this.sent.upTo, this.sent.at);
    this.sent = null;
  }

  /**
   * Publishes sequenced events in order and leaves them to be marked
   * published (`sent`); returns how many there were. `known`: the
   * unpublished events, when the caller knows them all.
   */
  private async publishPending(
    store: OutboxStore,
    publisher: StreamPublisher,
    known?: LogEnvelope[],
  ): Promise<number> {
    const events = known ?? (await store.unpublished(this.options.batch));
    if (events.length === 0) return 0;
    const { added, duplicates, foreign } = await publisher.publish(events);
    // Seqs the stream holds as other events: rebuilt from the outbox before anything more is sent.
    if (foreign > 0) this.repairNeeded = this.seen.foreign = true;
    logMetrics.published.inc(added);
    logMetrics.duplicatePublish.inc(duplicates);
    maybeFail(
      this.options.failRate,
      `after publishing seqs ${events[0]!.seq}..${events.at(-1)!.seq}`,
    );
    this.sent = { upTo: events.at(-1)!.seq, at: new Date() };
    return events.length;
  }

  private poke(): void {
    this.woken = true;
    this.wake?.();
  }

  /** Waits for a NOTIFY, a Redis reconnect, `waitMs` (the poll period) or the end. */
  private async idle(
    signal: AbortSignal,
    lost: Promise<never>,
    waitMs = this.options.pollMs,
  ): Promise<void> {
    // Stopped during the round: a listener added now would never fire.
    if (this.woken || signal.aborted) return;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const woken = new Promise<void>((resolve) => {
      this.wake = resolve;
      timer = setTimeout(resolve, waitMs);
      onAbort = resolve;
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([woken, lost]);
    } finally {
      // The signal lives as long as the process: a listener left per idle would pile up.
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort!);
      this.wake = undefined;
    }
  }
}
