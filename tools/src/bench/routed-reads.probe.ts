import type { HttpClient } from './http.client';

const SERIES = /^replica_routing_reads_total(?:\{[^}]*\})?\s+(\S+)/;

/**
 * Reads the router served, on every node and for every reason, from the
 * API's `GET /metrics` (the sum of `replica_routing_reads_total`); null when
 * the API does not export that metric.
 */
export async function routedReads(client: HttpClient): Promise<number | null> {
  const response = await client.send('GET', '/metrics');
  if (response.status !== 200) return null;
  let sum: number | null = null;
  for (const line of response.body.split('\n')) {
    const match = SERIES.exec(line);
    if (match) sum = (sum ?? 0) + Number(match[1]);
  }
  return sum;
}
