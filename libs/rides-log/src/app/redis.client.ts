import Redis from 'ioredis';

/**
 * The log's Redis connection: commands fail at once while it is down (no
 * offline queue), so the streamer and consumers retry on their own terms
 * while ioredis reconnects (every 0.1-2 s) in the background.
 */
export function logRedis(url: string, onError: (message: string) => void): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A command unanswered when the connection dropped fails; resent after the reconnect, an XADD
    // would land before the streamer has checked what Redis lost.
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
  });
  let last = '';
  redis.on('error', (error: Error) => {
    if (error.message !== last) onError(`redis: ${error.message}`);
    last = error.message;
  });
  redis.on('ready', () => (last = ''));
  return redis;
}
