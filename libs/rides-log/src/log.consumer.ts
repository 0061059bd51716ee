import type { EntityManager } from 'typeorm';
import { Logger } from '@nestjs/common';
import { WriteLostError, type ReplicaRouter } from '@app/replica-routing';
import type Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeEntry, entryId, type Decoded } from './log.envelope';
import { InjectedFailure } from './failure.injection';
import { logMetrics } from './log.metrics';
import { loopTurning } from './loop.health';
import { messageOf, QuietWarner } from '@app/config';
import type { ConsumerOptions, ConsumerState } from './consumer.options';
import { gapOrForeign, LogGapError } from './log-gap.error';
import { readBack, StaleReadBackError } from './batch.read-back';
import { unlessAborted } from './abort.race';
import { applyBatch, OtherHistoryError } from './batch.apply';

/** The consumer's state row is gone (lost in a failover, or deleted): `run()` creates it again. */
class UnregisteredError extends Error {}

/**
 * One consumer of the unified log: it keeps the total distance of every ride
 * (docs/design.md, "The unified log"). Each batch is one transaction on the
 * primary that checks the position it started from (a second copy with the
 * same name that got there first makes it start over), applies only the
 * entries right after it, in seq order, and saves total, count and position
 * together: an exactly-once effect, whatever the stream re-sends. Before
 * that, every ride it counts is read back through the routing library with
 * the token its event carries: on a replica that has it, never stale.
 */
export class LogConsumer {
  private readonly logger: Logger;
  private readonly warner: QuietWarner;
  /** When the loop last completed a read (for readiness: {@link turning}); `stopped` once it gave up on a gap. */
  lastRoundAt = 0;
  stopped: Error | undefined;
  readonly readBack = { replica: 0, primary: 0 };
  /** Failures injected so far (CONSUMER_FAIL_RATE). */
  injected = 0;
  /** Batches whose rides read back missing or different ({@link StaleReadBackError}): never expected. */
  staleReadBacks = 0;
  /** The position as this process last committed it; unknown after a failure. */
  private position: bigint | undefined;
  /** Entries to read next: the batch, halved after each batch refused as another history's. */
  private limit: number;

  constructor(
    private readonly router: ReplicaRouter<EntityManager>,
    private readonly redis: Redis,
    private readonly options: ConsumerOptions,
  ) {
    this.logger = new Logger(`Consumer ${options.name}`);
    this.warner = new QuietWarner(this.logger);
    this.limit = options.batch;
  }

  /** Whether the loop is turning ({@link loopTurning}): a read, which blocks up to `blockMs`, ended lately. */
  turning(now = performance.now()): boolean {
    return loopTurning(this.lastRoundAt, this.options.blockMs, now);
  }

  /** Its saved state; a consumer with no state row yet is at position 0. */
  async state(): Promise<ConsumerState> {
    return (await this.savedState()) ?? { totalDistance: '0', ridesCounted: '0', lastSeq: 0n };
  }

  /** Its state row, on the primary; undefined when it has none. */
  private async savedState(): Promise<ConsumerState | undefined> {
    const { result } = await this.router.read(
      (em) =>
        em.query<{ total: string; rides: string; last: string }[]>(
          'SELECT total_distance::text AS total, rides_counted::text AS rides, last_seq::text AS last FROM consumer_states WHERE name = $1',
          [this.options.name],
        ),
      { primary: true },
    );
    const row = result[0];
    return row && { totalDistance: row.total, ridesCounted: row.rides, lastSeq: BigInt(row.last) };
  }

  /** Its saved position; {@link UnregisteredError} when its row is gone (no apply could commit). */
  private async savedSeq(): Promise<bigint> {
    const saved = await this.savedState();
    if (!saved)
      throw new UnregisteredError(
        `${this.options.name} has no state row (lost in a failover, or deleted): creating it again at seq 0`,
      );
    return saved.lastSeq;
  }

  /** Runs until `signal` aborts or a gap stops it (then `stopped` says why). */
  async run(signal: AbortSignal): Promise<void> {
    let registered = false;
    while (!signal.aborted) {
      try {
        // Retried as a round is: a primary that is down at start delays the consumer, no more.
        if (!registered) await this.register();
        registered = true;
        await this.round(signal);
        this.lastRoundAt = performance.now();
      } catch (error) {
        if (error instanceof UnregisteredError) registered = false;
        if (error instanceof LogGapError) {
          logMetrics.gaps.inc({ consumer: this.options.name });
          this.logger.error(error.message);
          this.stopped = error;
          return;
        }
        if (signal.aborted) return;
        if (error instanceof StaleReadBackError) {
          // Never expected: the library's guarantee failed. Counted, said each time, retried.
          this.staleReadBacks++;
          logMetrics.staleReadBacks.inc({ consumer: this.options.name });
          this.logger.error(error.message);
          await sleep(500, undefined, { signal }).catch(() => undefined);
          continue;
        }
        if (error instanceof InjectedFailure) {
          // As if the process had died there: nothing was committed, the next round reads again.
          this.injected++;
          this.logger.debug(error.message);
          continue;
        }
        this.warner.warn(`${messageOf(error)}; retrying every 0.5 s`);
        await sleep(500, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  /** Its state row, created at position 0 unless it exists (`run()` does it first). */
  async register(): Promise<void> {
    await this.router.write((em) =>
      em.query(
        `INSERT INTO consumer_states (name, total_distance, rides_counted, last_seq, updated_at)
         VALUES ($1, 0, 0, 0, now()) ON CONFLICT (name) DO NOTHING`,
        [this.options.name],
      ),
    );
  }

  /**
   * Reads what follows the saved position and applies it; returns how many
   * entries it applied. Its wait for entries ends when `signal` aborts.
   */
  async round(signal?: AbortSignal): Promise<number> {
    // The position this process committed last; read again after anything went wrong (another
    // copy may have moved it: the commit checks it anyway).
    const lastSeq = this.position ?? (await this.savedSeq());
    this.position = undefined;
    logMetrics.consumerLastSeq.set({ consumer: this.options.name }, Number(lastSeq));
    const reply = await unlessAborted(
      this.redis.xread(
        'COUNT',
        this.limit,
        'BLOCK',
        this.options.blockMs,
        'STREAMS',
        this.options.stream,
        entryId(lastSeq),
      ),
      signal,
    );
    const entries = reply?.[0]?.[1] ?? [];
    // Nothing new: the saved position is read again next round. A failover may have lost this
    // process's last commit; kept, the remembered one would skip what the new primary lacks until
    // the next event came (only an apply against the saved position would notice).
    if (entries.length === 0) return 0;
    const decoded = entries.map(([id, fields]) => decodeEntry(id, fields));
    let expected = lastSeq + 1n;
    const batch: Decoded[] = [];
    for (const d of decoded) {
      const seq = d.ok ? d.envelope.seq : d.seq;
      if (seq < expected) continue; // a duplicate of what is applied
      if (seq > expected) {
        if (batch.length > 0) break; // apply what is contiguous; the next round stops at the gap
        // Another copy of this consumer may have moved the position past what retention kept.
        await this.samePosition(lastSeq);
        throw await gapOrForeign(this.router, this.options.name, expected, seq);
      }
      batch.push(d);
      expected++;
    }
    let applied: number;
    try {
      await this.verify(batch);
      applied = await applyBatch(this.router, this.options, lastSeq, batch, (m) =>
        this.logger.warn(m),
      );
    } catch (error) {
      // Part of the batch is another history's (after a failover): smaller batches apply the part
      // before it, and bring that part within what the streamer checks ahead of this consumer
      // (STREAMER_BATCH entries, perhaps fewer than this one reads), so that it rebuilds the stream.
      if (error instanceof OtherHistoryError || error instanceof WriteLostError)
        this.limit = Math.max(1, Math.floor(this.limit / 2));
      throw error;
    }
    this.limit = this.options.batch;
    this.position = lastSeq + BigInt(applied);
    return applied;
  }

  /** Throws (retried) when the saved position is no longer `lastSeq`: a gap from there is no gap. */
  private async samePosition(lastSeq: bigint): Promise<void> {
    const saved = await this.savedSeq();
    if (saved !== lastSeq)
      throw new Error(
        `another copy of ${this.options.name} moved its position from seq ${lastSeq} to ${saved}; reading on from there`,
      );
  }

  /** Reads the batch's rides back (see {@link readBack}): never counted from a stale read. */
  private async verify(batch: readonly Decoded[]): Promise<void> {
    const rides = batch.flatMap((d) => (d.ok ? [d] : []));
    if (rides.length === 0) return;
    const servedBy = await readBack(this.router, rides, (m) => this.warner.warn(m));
    const served = servedBy === 'primary' ? 'primary' : 'replica';
    this.readBack[served] += rides.length;
    logMetrics.readBack.inc({ consumer: this.options.name, served }, rides.length);
  }
}
