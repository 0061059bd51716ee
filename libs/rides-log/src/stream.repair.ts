/** Where the stream stands (`StreamPublisher.bounds()`). */
export interface StreamBounds {
  first: bigint;
  last: bigint;
  top: bigint;
  length: bigint;
}

/** Where the outbox stands (`OutboxStore.positions()`). */
export interface OutboxPositions {
  published: bigint;
  sequenced: bigint;
  slowest: bigint | null;
  /**
   * The positions of the consumers the outbox can still serve (at or past
   * the seq before `oldest`), each once, lowest first. Below them, a
   * consumer stopped on a gap for good (one registered after retention ran).
   */
  reading: bigint[];
  /** The lowest seq the outbox still holds (retention deleted those below it); 0 when none. */
  oldest: bigint;
}

/**
 * What the stream needs, from where it and the outbox stand (and whether a
 * publish found `foreign` entries): `rebuild` (why)
 * when it must be dropped and rebuilt in order (Redis takes no id at or
 * below its top), and the seq after which the outbox's published events are
 * to be published again (`from` up to `published`).
 */
export function streamRepair(
  { first, last, top, length }: StreamBounds,
  { published, sequenced, slowest, reading, oldest }: OutboxPositions,
  foreign = false,
): { rebuild: string | null; from: bigint } {
  // Nothing below what the outbox still holds can be published again: a consumer behind it (one
  // registered after retention ran) stops on its gap for good, so the stream is repaired from
  // the slowest consumer it can serve (a rebuild from the oldest seq held would republish the
  // whole retention window for nobody).
  const held = oldest > 0n ? oldest - 1n : 0n;
  const serving = slowest !== null && slowest < held ? (reading[0] ?? null) : slowest;
  const floor = serving !== null && serving > held ? serving : held;
  const rebuild = (why: string) => ({
    rebuild: `${why}; rebuilding it from the outbox`,
    from: floor,
  });
  // A publish found seqs the stream holds as other events than the outbox gave them (a streamer of
  // an earlier primary wrote them): consumers refuse those, so the stream is rebuilt.
  if (foreign)
    return rebuild('the stream holds other events than the outbox at seqs this database gave out');
  // Entries this database never gave out: the stream is another database's log (the database was
  // rebuilt and Redis kept). Consumers wait for this rather than count it.
  if (top > sequenced)
    return rebuild(
      `the stream ends at seq ${top}, past the last seq this database gave out (${sequenced}): ` +
        'it is another database’s log',
    );
  // Entries a consumer still needs are missing from the start of the stream: lost (a FLUSHALL,
  // then new entries) or trimmed below a consumer that joined late (an emptied stream keeps its
  // top id).
  const lacksStart = first > floor + 1n || (first === 0n && top > floor);
  if (top > 0n && lacksStart && floor < published)
    return rebuild(`the stream lacks seqs ${floor + 1n}..${(first || top + 1n) - 1n}`);
  // Or in its middle: Redis lost acknowledged entries and took later ones before this ran (a
  // resent pipeline, a failover behind a proxy, one XADD of a pipeline refused for memory).
  if (last > 0n && length < last - first + 1n && floor < published)
    return rebuild(
      `the stream holds ${length} entries from seq ${first} to ${last}: some in between are lost`,
    );
  // Else only its end may be missing (a restart lost the last writes): published again.
  return { rebuild: null, from: last > floor ? last : floor };
}
