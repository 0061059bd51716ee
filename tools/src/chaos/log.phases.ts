import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { PHASE_MS } from './chaos.settings';
import { type LogStack } from '../stack/log.stack';
import type { Phase } from './phase';

/**
 * The unified log's faults, under the simulator's writes (the log starts
 * late, on every ride written so far, so that the burst measures the API
 * alone): the active
 * streamer killed mid-batch (the standby takes over), a consumer killed,
 * Redis killed for a while (10 s in a full run), Redis flushed. Each killed
 * process is started again at the end of its phase; the run checks at the
 * end that both consumers equal `sum(distance)` within 30 s of the last write.
 */
export function logPhases(log: LogStack): Phase[] {
  const down = Math.max(3000, Math.min(10_000, PHASE_MS));
  return [
    {
      name: 'log: Redis, streamers and consumers start (on the backlog of the run so far)',
      readBound: false,
      run: async () => {
        await log.start();
        await sleep(PHASE_MS);
      },
    },
    {
      name: 'log: streamer0 killed (kill -9), streamer1 takes over',
      readBound: false,
      run: async () => {
        await log.kill('streamer0');
        await sleep(PHASE_MS);
        log.launch('streamer0'); // back as the standby
      },
    },
    {
      name: 'log: consumer0 killed (kill -9)',
      readBound: false,
      run: async () => {
        await log.kill('consumer0');
        await sleep(PHASE_MS / 2);
        log.launch('consumer0');
        await sleep(PHASE_MS / 2);
      },
    },
    {
      name: `log: Redis killed for ${down / 1000} s`,
      readBound: false,
      run: async () => {
        await log.redis.stop('SIGKILL');
        await sleep(down);
        await log.redis.start();
        return { note: 'rides kept committing; the outbox held the backlog' };
      },
    },
    {
      name: 'log: Redis FLUSHALL',
      readBound: false,
      run: async () => {
        // A connection of its own, which waits for Redis to be back from the previous phase.
        const redis = new Redis(log.redis.url, { maxRetriesPerRequest: 20 });
        redis.on('error', () => undefined);
        try {
          await redis.flushall();
        } finally {
          redis.disconnect();
        }
        await sleep(PHASE_MS);
      },
    },
  ];
}
