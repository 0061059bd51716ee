/**
 * The burst's load generator, in a child process of the chaos run (so its
 * sockets share neither the API's event loop nor its file descriptors).
 * Configured by BURST_CONFIG (JSON, see BurstConfig); prints one line,
 * `BURST_RESULT <json>` (see BurstResult), and exits.
 */
import { randomUUID } from 'node:crypto';
import { BurstClient } from './burst.client';
import { describe, rideOf, runStage, type BurstRide, type StageResult } from './burst.stage';

export interface BurstConfig {
  apiUrl: string;
  users: number;
  baseConnections: number;
  burstConnections: number;
  stageMs: number;
  requestTimeoutMs: number;
  writesAfter: number;
}

export interface BurstResult {
  base: StageResult;
  burst: StageResult;
  /** Writes sent right after the burst, 10 at a time: each must be a 201 (`rides`: theirs). */
  after: { sent: number; created: number; failures: string[]; rides: BurstRide[] };
}

export const RESULT_PREFIX = 'BURST_RESULT ';
/** The distance of every ride written right after the burst. */
export const AFTER_DISTANCE = 20;

async function main(): Promise<void> {
  const config = JSON.parse(process.env.BURST_CONFIG ?? '') as BurstConfig;
  const client = new BurstClient(config.apiUrl, 10, config.requestTimeoutMs);
  const apiKeys = await inParallel(config.users, 10, async (i) => {
    const r = await client.post('/users', { email: `burst-${i}-${randomUUID()}@example.com` });
    if (r.status !== 201) throw new Error(`burst: could not register a user: ${describe(r)}`);
    return (JSON.parse(r.body) as { api_key: string }).api_key;
  });
  const stage = (connections: number) =>
    runStage(config.apiUrl, apiKeys, connections, config.stageMs, config.requestTimeoutMs);
  const base = await stage(config.baseConnections);
  const burst = await stage(config.burstConnections);
  const failures: string[] = [];
  const rides: BurstRide[] = [];
  const answers = await inParallel(config.writesAfter, 10, async (i) => {
    const r = await client.post(
      '/rides',
      { distance: AFTER_DISTANCE },
      { authorization: `Bearer ${apiKeys[i % apiKeys.length]}`, 'idempotency-key': randomUUID() },
    );
    if (r.status !== 201) failures.push(describe(r));
    else rides.push(rideOf(r));
    return r.status;
  });
  client.close();
  const after = {
    sent: answers.length,
    created: answers.filter((s) => s === 201).length,
    failures,
    rides,
  };
  const result: BurstResult = { base, burst, after };
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

async function inParallel<T>(count: number, width: number, fn: (i: number) => Promise<T>) {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) results[i] = await fn(i);
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
