import type { Client } from 'pg';
import { within } from '../within';

/** Closes a client's socket at once: its queries fail, and it emits `end`. */
export function closeNow(client: Client | undefined): void {
  const wire = (client as unknown as { connection?: { stream?: { destroy(): void } } } | undefined)
    ?.connection;
  wire?.stream?.destroy();
}

/**
 * Ends a client, waiting at most `ms` for the server: one that went silent
 * never acknowledges the end, and `end()` would wait for ever. Then closes
 * its socket.
 */
export async function endWithin(client: Client, ms: number): Promise<void> {
  await within(client.end(), ms).catch(() => closeNow(client));
}
