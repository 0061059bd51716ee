import { Client } from 'pg';

/**
 * Runs `fn` on a fresh connection to `url` (2 s to connect), closed
 * afterwards; a socket error after the answer is ignored. For the launchers'
 * administration queries, not for the apps.
 */
export async function withPgClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
