import type { Logger } from '@nestjs/common';
import { logMetrics } from './log.metrics';
import type { OutboxStore } from './outbox.store';
import type { StreamPublisher } from './stream.publisher';
import { streamRepair, type OutboxPositions } from './stream.repair';
import type { StreamerOptions } from './streamer.options';

/**
 * Whether what a consumer reads next (a batch from each position a consumer
 * the outbox can serve is at) is held as other events than the outbox gave
 * those seqs: the stream went back to another history below its last id
 * (Redis failed over to a replica that had not seen a rebuild). No publish
 * meets those entries, and consumers would wait on them for ever; a stopped
 * consumer far behind must not hide them from the others.
 */
async function foreignAhead(
  store: OutboxStore,
  publisher: StreamPublisher,
  { published, reading }: Pick<OutboxPositions, 'published' | 'reading'>,
  batch: number,
): Promise<boolean> {
  for (const from of reading) {
    const next = await store.published(from, published, batch);
    if ((await publisher.foreignAmong(next)) > 0) return true;
  }
  return false;
}

/**
 * Re-publishes what the stream lost (its end is below what the outbox says
 * was published: a Redis restart, FLUSHALL, a failover to a lagging
 * replica), from where the slowest consumer is; trims the stream below the
 * slowest consumer; deletes outbox events past retention that every
 * consumer has passed; updates the backlog gauges. The stream is rebuilt
 * when the entries a consumer reads next are other events than the outbox
 * gave those seqs ({@link foreignAhead}), or when `seen.foreign` says a publish found such
 * entries; that flag is cleared once that is done, and set again the moment
 * a publish here finds more (a maintenance that fails half-way leaves it for
 * the next one).
 */
export async function maintainStream(
  store: OutboxStore,
  publisher: StreamPublisher,
  { batch, retentionS }: Pick<StreamerOptions, 'batch' | 'retentionS'>,
  seen: { foreign: boolean },
  logger: Logger,
): Promise<void> {
  const bounds = await publisher.bounds();
  const positions = await store.positions();
  const { published, slowest } = positions;
  const foreign = seen.foreign || (await foreignAhead(store, publisher, positions, batch));
  const repair = streamRepair(bounds, positions, foreign);
  if (repair.rebuild) {
    await publisher.reset();
    logger.warn(repair.rebuild);
  }
  seen.foreign = false;
  let from = repair.from;
  let republished = 0;
  while (from < published) {
    const events = await store.published(from, published, batch);
    if (events.length === 0) break;
    const sent = await publisher.publish(events);
    republished += sent.added;
    // Another primary's streamer still writing (a split brain): the next maintenance rebuilds.
    if (sent.foreign > 0) seen.foreign = true;
    from = events.at(-1)!.seq;
  }
  if (republished > 0) {
    logMetrics.republished.inc(republished);
    logger.warn(
      `the stream ended at seq ${bounds.last}, the outbox had published up to ${published}: ${republished} entries published again`,
    );
  }
  if (slowest !== null) await publisher.trimBelow(slowest + 1n);
  await store.retain(retentionS);
  const backlog = await store.backlog();
  logMetrics.backlog.set(backlog.events);
  logMetrics.oldestSeconds.set(backlog.oldestS);
}
