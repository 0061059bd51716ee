import type Redis from 'ioredis';
import { entryId, toFields, type LogEnvelope } from './log.envelope';

/** What one publish did: entries added, and re-sends Redis refused as already present. */
export interface Published {
  added: number;
  duplicates: number;
}

/** Redis' answer to an XADD whose id is not above the stream's last one. */
const NOT_ABOVE_TOP = /equal or smaller than the target stream top item/;

/**
 * The Redis stream side of the log. Entries are added with their seq as id
 * (`<seq>-0`), in seq order: a re-send is refused as already present, so
 * publishing is idempotent, and the stream is always a contiguous run of
 * seqs (its start trimmed below the slowest consumer, its end possibly lost
 * by Redis and re-published from the outbox).
 */
export class StreamPublisher {
  constructor(
    private readonly redis: Redis,
    readonly key: string,
  ) {}

  async publish(envelopes: readonly LogEnvelope[]): Promise<Published> {
    if (envelopes.length === 0) return { added: 0, duplicates: 0 };
    const pipeline = this.redis.pipeline();
    for (const e of envelopes) pipeline.xadd(this.key, entryId(e.seq), ...toFields(e));
    const results = (await pipeline.exec()) ?? [];
    let added = 0;
    let duplicates = 0;
    for (const [error] of results) {
      if (!error) added++;
      else if (NOT_ABOVE_TOP.test(error.message)) duplicates++;
      else throw error;
    }
    return { added, duplicates };
  }

  /** The seq of the stream's first entry; 0 when the stream is empty or gone. */
  async firstSeq(): Promise<bigint> {
    const first = await this.redis.xrange(this.key, '-', '+', 'COUNT', 1);
    const id = first[0]?.[0];
    return id === undefined ? 0n : BigInt(id.split('-')[0]!);
  }

  /**
   * The seq of the last entry the stream ever took (its last generated id),
   * even when trimming has emptied it: Redis takes no entry at or below it.
   * 0 when the stream is gone.
   */
  async topSeq(): Promise<bigint> {
    const info = (await this.redis.xinfo('STREAM', this.key).catch((error: Error) => {
      if (/no such key/i.test(error.message)) return [];
      throw error;
    })) as unknown[];
    const at = info.indexOf('last-generated-id');
    const id = at >= 0 ? info[at + 1] : undefined;
    return typeof id === 'string' ? BigInt(id.split('-')[0]!) : 0n;
  }

  /** Drops the stream, to rebuild it in order (Redis takes no entry below its last id). */
  async reset(): Promise<void> {
    await this.redis.del(this.key);
  }

  /** The seq of the stream's last entry; 0 when the stream is empty or gone. */
  async lastSeq(): Promise<bigint> {
    const last = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1);
    const id = last[0]?.[0];
    return id === undefined ? 0n : BigInt(id.split('-')[0]!);
  }

  /** Drops entries below `seq` (XTRIM MINID, never MAXLEN): what every consumer has passed. */
  async trimBelow(seq: bigint): Promise<number> {
    return this.redis.xtrim(this.key, 'MINID', entryId(seq));
  }
}
