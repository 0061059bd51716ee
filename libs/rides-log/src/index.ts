export { stageRideCreated, OUTBOX_CHANNEL } from './outbox.stager';
export {
  decodeEntry,
  entryId,
  seqOfEntryId,
  toFields,
  RIDE_CREATED,
  type Decoded,
  type LogEnvelope,
  type RideCreatedV1,
} from './log.envelope';
export { OutboxStore, type SqlSession, type TokenSigner } from './outbox.store';
export { StreamPublisher, type Published } from './stream.publisher';
export { Streamer } from './streamer';
export type { StreamerOptions, StreamerRole } from './streamer.options';
export { LogConsumer } from './log.consumer';
export { LogGapError } from './log-gap.error';
export type { ConsumerOptions, ConsumerState } from './consumer.options';
export { logMetrics } from './log.metrics';
export { LogConfig } from './app/log.config';
export { logProcessImports } from './app/log-http.module';
export { logRedis } from './app/redis.client';
export { leaseSession } from './app/lease.session';
export { InjectedFailure } from './failure.injection';
