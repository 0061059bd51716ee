import Redis from 'ioredis';

/**
 * The log's Redis connection: commands fail at once while it is down (no
 * offline queue), so the streamer and consumers retry on their own terms
 * while ioredis reconnects (every 0.1-2 s) in the background. A connection
 * that has commands out and hears nothing for `socketTimeoutMs` (give more
 * than the longest XREAD BLOCK) is closed and opened again: a half-open one
 * (the server's host died or was cut off) would otherwise hang a command for
 * as long as the OS takes to notice, minutes to hours.
 */
export function logRedis(
  url: string,
  onError: (message: string) => void,
  socketTimeoutMs = 10_000,
): Redis {
  const redis = new Redis(url, {
    socketTimeout: socketTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A command unanswered when the connection dropped is sent again once it is back (ioredis'
    // default; without it, ioredis 5.11 never settles such a command). An XADD that lands before
    // the streamer has checked what Redis lost leaves a hole, which its maintenance rebuilds.
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
  });
  let last = '';
  redis.on('error', (error: Error) => {
    if (error.message !== last) onError(`redis: ${error.message}`);
    last = error.message;
  });
  redis.on('ready', () => (last = ''));
  // ioredis 5.11 leaves the socket timer of a closed connection armed: it would close the next
  // connection too, idle or not. Cleared when the connection closes.
  redis.on('close', () => {
    const timed = redis as unknown as { socketTimeoutTimer?: NodeJS.Timeout };
    clearTimeout(timed.socketTimeoutTimer);
    timed.socketTimeoutTimer = undefined;
  });
  return redis;
}
