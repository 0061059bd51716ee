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
export { Streamer, type StreamerOptions, type StreamerRole } from './streamer';
export { LogConsumer, LogGapError, type ConsumerOptions, type ConsumerState } from './log.consumer';
export { logMetrics } from './log.metrics';
export { LogConfig } from './app/log.config';
export { logProcessImports } from './app/log-http.module';
export { logRedis } from './app/redis.client';
export { InjectedFailure } from './failure.injection';
