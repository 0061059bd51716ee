import type Redis from 'ioredis';
import { entryId, seqOfEntryId, toFields, type LogEnvelope } from './log.envelope';

/**
 * What one publish did: entries added, re-sends Redis refused as already
 * present, and among those the ones whose entry in the stream is another
 * event (`foreign`: written for the same seq by a streamer of another
 * history, an old primary's).
 */
export interface Published {
  added: number;
  duplicates: number;
  foreign: number;
}

/** Redis' answer to an XADD whose id is not above the stream's last one. */
const NOT_ABOVE_TOP = /equal or smaller than the target stream top item/;

/**
 * The Redis stream side of the log. Entries are added with their seq as id
 * (`<seq>-0`), in seq order: a re-send is refused as already present, so
 * publishing is idempotent, and the stream is meant to be a contiguous run
 * of seqs (its start trimmed below the slowest consumer); what Redis loses
 * (its end, its start, entries in between) the streamer's maintenance
 * publishes again or rebuilds from the outbox (`streamRepair`).
 */
export class StreamPublisher {
  constructor(
    private readonly redis: Redis,
    readonly key: string,
  ) {}

  async publish(envelopes: readonly LogEnvelope[]): Promise<Published> {
    if (envelopes.length === 0) return { added: 0, duplicates: 0, foreign: 0 };
    const pipeline = this.redis.pipeline();
    for (const e of envelopes) pipeline.xadd(this.key, entryId(e.seq), ...toFields(e));
    const results = (await pipeline.exec()) ?? [];
    let added = 0;
    const refused: LogEnvelope[] = [];
    results.forEach(([error], i) => {
      if (!error) added++;
      else if (NOT_ABOVE_TOP.test(error.message)) refused.push(envelopes[i]!);
      else throw error;
    });
    return { added, duplicates: refused.length, foreign: await this.foreignAmong(refused) };
  }

  /**
   * How many of `envelopes` (in seq order) the stream holds as another event
   * (one it does not hold, trimmed or lost, is not counted).
   */
  async foreignAmong(envelopes: readonly LogEnvelope[]): Promise<number> {
    if (envelopes.length === 0) return 0;
    const held = await this.redis.xrange(
      this.key,
      entryId(envelopes[0]!.seq),
      entryId(envelopes.at(-1)!.seq),
    );
    const eventIds = new Map(
      held.map(([id, fields]) => [seqOfEntryId(id), fields[fields.indexOf('event_id') + 1]]),
    );
    return envelopes.filter((e) => eventIds.has(e.seq) && eventIds.get(e.seq) !== e.eventId).length;
  }

  /**
   * Where the stream stands, from one XINFO STREAM: the seqs of its first and
   * last entries (0 when it is empty or gone), how many entries it holds, and
   * its top: the last id it ever took (its last generated id), even when
   * trimming has emptied it; Redis takes no entry at or below it (0 when the
   * stream is gone).
   */
  async bounds(): Promise<{ first: bigint; last: bigint; top: bigint; length: bigint }> {
    const info = (await this.redis.xinfo('STREAM', this.key).catch((error: Error) => {
      if (/no such key/i.test(error.message)) return [];
      throw error;
    })) as unknown[];
    const field = (name: string) => {
      const at = info.indexOf(name);
      return at >= 0 ? info[at + 1] : undefined;
    };
    const seqOf = (id: unknown) => (typeof id === 'string' ? seqOfEntryId(id) : 0n);
    const entryIdOf = (entry: unknown): unknown =>
      Array.isArray(entry) ? (entry[0] as unknown) : undefined;
    return {
      first: seqOf(entryIdOf(field('first-entry'))),
      last: seqOf(entryIdOf(field('last-entry'))),
      top: seqOf(field('last-generated-id')),
      length: BigInt(Number(field('length') ?? 0)),
    };
  }

  /** Drops the stream, to rebuild it in order (Redis takes no entry below its last id). */
  async reset(): Promise<void> {
    await this.redis.del(this.key);
  }

  /** Drops entries below `seq` (XTRIM MINID, never MAXLEN): what every consumer has passed. */
  async trimBelow(seq: bigint): Promise<number> {
    return this.redis.xtrim(this.key, 'MINID', entryId(seq));
  }
}
