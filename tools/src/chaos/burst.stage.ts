import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BurstClient, type BurstResponse } from './burst.client';

/** The distance of every ride a stage writes. */
export const BURST_DISTANCE = 10;

export interface StageResult {
  connections: number;
  /** How long opening the connections took before the stage, ms. */
  connectMs: number;
  seconds: number;
  /** 201s that arrived within the stage, per second. */
  createdPerSecond: number;
  /** The rides of every 201 (in flight ones included): each must exist after the run. */
  rides: BurstRide[];
  /** Answers by status ("0" for no answer), in flight ones included. */
  statuses: Record<string, number>;
  /** Answers that are neither 201 nor a 503/429 with Retry-After (no answer at all included). */
  bad: number;
  /** A few of the bad answers, for the report. */
  badSamples: string[];
  /** Bad answers by kind (`timeout ... (not even connected)`, `500`...). */
  badKinds: Record<string, number>;
  /** Latency of the 201s and of the other answers, ms. */
  ms201: { p50: number; p99: number };
  msOther: { p50: number; p99: number };
}

/**
 * Opens `connections` connections, then runs as many loops, each POSTing
 * /rides (a fresh Idempotency-Key each time, as the users in `apiKeys` in
 * turn) until `ms` have passed; then waits for the answers in flight. A loop
 * told 503/429 with Retry-After waits that long (jittered, 0.5x to 1.5x) before
 * it sends again, as a well-behaved client does.
 */
export async function runStage(
  apiUrl: string,
  apiKeys: string[],
  connections: number,
  ms: number,
  timeoutMs: number,
): Promise<StageResult> {
  const client = new BurstClient(apiUrl, connections, timeoutMs);
  const connectMs = await client.connect(connections);
  const statuses: Record<string, number> = {};
  const badSamples: string[] = [];
  const badKinds: Record<string, number> = {};
  const ms201: number[] = [];
  const msOther: number[] = [];
  const rides: BurstRide[] = [];
  let bad = 0;
  let created = 0;
  const started = performance.now();
  const deadline = started + ms;
  const loop = async (n: number) => {
    const auth = `Bearer ${apiKeys[n % apiKeys.length]}`;
    while (performance.now() < deadline) {
      const sent = performance.now();
      const response = await client.post(
        '/rides',
        { distance: BURST_DISTANCE },
        { authorization: auth, 'idempotency-key': randomUUID() },
      );
      (response.status === 201 ? ms201 : msOther).push(performance.now() - sent);
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      if (response.status === 201) rides.push(rideOf(response));
      if (response.status === 201 && performance.now() <= deadline) created++;
      if (!isAcceptable(response)) {
        bad++;
        const kind = response.status === 0 ? (response.error ?? '?') : String(response.status);
        badKinds[kind] = (badKinds[kind] ?? 0) + 1;
        if (badSamples.length < 5) badSamples.push(describe(response));
      }
      const backOff = retryAfterMs(response);
      if (backOff > 0) await sleep(Math.min(backOff, deadline - performance.now()));
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, n) => loop(n)));
  client.close();
  const seconds = ms / 1000;
  return {
    connections,
    connectMs: Math.round(connectMs),
    seconds,
    createdPerSecond: created / seconds,
    rides,
    statuses,
    bad,
    badSamples,
    badKinds,
    ms201: percentiles(ms201),
    msOther: percentiles(msOther),
  };
}

function percentiles(ms: number[]): { p50: number; p99: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: Math.round(at(0.5)), p99: Math.round(at(0.99)) };
}

/** How long a client waits after a refusal: Retry-After (seconds), jittered to 0.5x-1.5x; 0 for other answers. */
export function retryAfterMs(r: BurstResponse): number {
  const seconds = Number(r.retryAfter);
  if ((r.status !== 503 && r.status !== 429) || !(seconds > 0)) return 0;
  return seconds * 1000 * (0.5 + Math.random());
}

/** A ride a 201 created: its id and its rider's. */
export interface BurstRide {
  id: number;
  userId: number;
}

/** The ride a 201 created (ids NaN where its body names none: no such ride exists). */
export function rideOf(r: BurstResponse): BurstRide {
  try {
    const { id, user_id } = JSON.parse(r.body) as { id?: unknown; user_id?: unknown };
    return { id: Number(id), userId: Number(user_id) };
  } catch {
    return { id: NaN, userId: NaN };
  }
}

/** A 201, or load shed the way a client can act on: 503/429 with Retry-After. */
export function isAcceptable(r: BurstResponse): boolean {
  return r.status === 201 || ((r.status === 503 || r.status === 429) && !!r.retryAfter);
}

export function describe(r: BurstResponse): string {
  if (r.status === 0) return `no answer: ${r.error}`;
  const retry = r.retryAfter ? `Retry-After ${r.retryAfter}` : 'no Retry-After';
  return `${r.status} (${retry}) ${r.body.slice(0, 160)}`;
}
