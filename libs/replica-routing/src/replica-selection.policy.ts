import { formatLsn, type Lsn } from './lsn.util';
import type { ReadOutcome } from './metrics/routing.metrics';
import { PRIMARY_NODE } from './replica-routing.constants';

export interface ReplicaCandidate {
  name: string;
  weight: number;
  available: boolean;
  lsn: Lsn | null;
  lagBytes: number | null;
  /** False while a recent try on this replica came up short (paused or far behind): do not guess or wait on it. */
  waitable: boolean;
}

export interface SelectionInput {
  replicas: readonly ReplicaCandidate[];
  /** Position the read must see; null for a tokenless read. */
  token: Lsn | null;
  tokenlessReads: 'primary' | 'replica';
  maxLagBytes: number;
  primaryReadShare: number;
  maxReplicaAttempts: number;
  random: () => number;
  /** The primary only (`primary: true`, a primary scope, a client token not settled yet...). */
  forced?: boolean;
  /** No recent sample of the primary's position: the primary first, replicas only if it cannot answer. */
  stale?: boolean;
}

export interface SelectionPlan {
  /** Replicas to try, in order; each is re-checked on its own connection before use. */
  replicas: string[];
  /** Whether the primary is tried before the replicas (the primary read share). */
  primaryFirst: boolean;
  /** True when the one replica offered is a guess: none was known to have the token. */
  guess: boolean;
  /** Every node to try, in order (the primary included). */
  order: string[];
  /** Why the primary serves the read when it does (the `outcome` label of `replica_routing_reads_total`). */
  primaryReason: Extract<ReadOutcome, `primary_${string}`>;
}

/**
 * Pure policy: which replicas may serve a read, and in which order. Eligible
 * replicas are shuffled by weight (Efraimidis-Spirakis), so that load spreads
 * as configured; a share of reads may be kept on the primary.
 */
export function planRead(input: SelectionInput): SelectionPlan {
  if (input.forced) return primaryOnly('primary_forced');
  if (input.token === null && input.tokenlessReads === 'primary')
    return primaryOnly('primary_tokenless');
  // One pass, no strings: it runs on every read.
  const usable: ReplicaCandidate[] = [];
  const eligible: ReplicaCandidate[] = [];
  for (const r of input.replicas) {
    if (!(r.available && r.weight > 0)) continue;
    usable.push(r);
    if (knownToServe(r, input)) eligible.push(r);
  }
  let replicas = weightedFirst(eligible, input.random, input.maxReplicaAttempts);
  const guess = eligible.length === 0 && input.token !== null;
  if (guess) {
    // Nobody is known to be there yet (the usual case right after a write, as the known
    // positions are a little old): try one streaming replica, chosen by weight like any read.
    // Its in-band check decides; the read may wait on it (replicaWaitMs).
    const streaming = usable.filter((r) => r.lsn !== null && r.waitable);
    replicas = weightedFirst(streaming, input.random, 1);
  }
  const primaryFirst =
    input.stale === true || replicas.length === 0 || input.random() < input.primaryReadShare;
  return {
    replicas,
    primaryFirst,
    guess: guess && replicas.length > 0,
    order: primaryFirst ? [PRIMARY_NODE, ...replicas] : [...replicas, PRIMARY_NODE],
    primaryReason: input.stale
      ? 'primary_forced'
      : primaryFirst && replicas.length > 0
        ? 'primary_share'
        : 'primary_no_replica',
  };
}

function primaryOnly(primaryReason: SelectionPlan['primaryReason']): SelectionPlan {
  return { replicas: [], primaryFirst: true, guess: false, order: [PRIMARY_NODE], primaryReason };
}

/** Why `node` served a read planned as `plan` (first try; a later one is `retried`). */
export function readOutcome(node: string, plan: SelectionPlan): ReadOutcome {
  if (node === PRIMARY_NODE) return plan.primaryReason;
  return plan.guess ? 'replica_guess' : 'replica';
}

/**
 * Bytes a replica lags, for reads without a token: the observer's measure,
 * or more when this process knows the primary further on than the replica's
 * last known position (while the observer is down its measure never ages).
 */
export function lagOf(
  r: { lsn: Lsn | null; lagBytes: number | null },
  primaryLsn: Lsn | null,
): number | null {
  if (r.lagBytes === null) return null;
  const behind =
    primaryLsn !== null && r.lsn !== null && primaryLsn > r.lsn ? primaryLsn - r.lsn : 0n;
  return Math.max(r.lagBytes, Number(behind));
}

/**
 * Why a usable replica cannot serve this read by what is known of its
 * position, or null when it can. The same rule {@link planRead} applies.
 */
export function positionProblem(
  r: Pick<ReplicaCandidate, 'lsn' | 'lagBytes'>,
  input: Pick<SelectionInput, 'token' | 'tokenlessReads' | 'maxLagBytes'>,
): string | null {
  if (input.token === null && input.tokenlessReads === 'primary')
    return "reads without a token go to the primary (tokenlessReads: 'primary')";
  if (knownToServe(r, input)) return null;
  // Only the words for what knownToServe refused.
  if (r.lsn === null) return 'no replayed position known yet';
  if (input.token !== null)
    return `known to have replayed ${formatLsn(r.lsn)}, the read needs ${formatLsn(input.token)}`;
  if (r.lagBytes === null) return 'lag unknown';
  return `lags ${r.lagBytes} bytes, more than maxLagBytes (${input.maxLagBytes})`;
}

/**
 * The rule of {@link positionProblem}, without its words: whether what is
 * known of `r`'s position serves the read (a tokenless read under
 * `tokenlessReads: 'primary'` is decided before).
 */
function knownToServe(
  r: Pick<ReplicaCandidate, 'lsn' | 'lagBytes'>,
  input: Pick<SelectionInput, 'token' | 'maxLagBytes'>,
): boolean {
  if (r.lsn === null) return false;
  if (input.token !== null) return r.lsn >= input.token;
  return r.lagBytes !== null && r.lagBytes <= input.maxLagBytes;
}

/**
 * The names of the first `limit` of `items` in a weighted random order
 * (Efraimidis-Spirakis: each item's key is u^(1/weight), the largest first;
 * equal keys keep the items' order). One `random()` per item, in the items'
 * order, none for a single item; the first `limit` kept by insertion, with
 * no objects made per item: it runs on every read.
 */
function weightedFirst(
  items: readonly ReplicaCandidate[],
  random: () => number,
  limit: number,
): string[] {
  if (items.length < 2) return items.length === 1 && limit > 0 ? [items[0]!.name] : [];
  const names: string[] = [];
  const keys: number[] = [];
  for (const item of items) {
    const key = Math.pow(random(), 1 / item.weight);
    let at = names.length;
    while (at > 0 && keys[at - 1]! < key) at--;
    if (at >= limit) continue;
    names.splice(at, 0, item.name);
    keys.splice(at, 0, key);
    if (names.length > limit) {
      names.pop();
      keys.pop();
    }
  }
  return names;
}
