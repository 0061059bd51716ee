import type { Client } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';

/** Closes a session's socket at once: its queries fail, and it emits `end`. */
export function closeNow(session: Client | undefined): void {
  const wire = (session as unknown as { connection?: { stream?: { destroy(): void } } } | undefined)
    ?.connection;
  wire?.stream?.destroy();
}

/**
 * Ends a session, waiting at most `ms` for the server: one that went silent
 * never answers Terminate, and `end()` would wait for ever. Then closes it.
 */
export async function endWithin(session: Client, ms: number): Promise<void> {
  const late = new AbortController();
  const ended = session.end().then(
    () => true,
    () => true,
  );
  const settled = await Promise.race([
    ended,
    sleep(ms, false, { signal: late.signal }).catch(() => false),
  ]);
  late.abort();
  if (!settled) closeNow(session);
}
