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
  const usable = input.replicas.filter((r) => r.available && r.weight > 0);
  const eligible = usable.filter((r) => positionProblem(r, input) === null);
  let ordered = weightedShuffle(eligible, input.random).map((r) => r.name);
  const guess = ordered.length === 0 && input.token !== null;
  if (guess) {
    // Nobody is known to be there yet (the usual case right after a write, as the known
    // positions are a little old): try one streaming replica, chosen by weight like any read.
    // Its in-band check decides; the read may wait on it (replicaWaitMs).
    const waitOn = weightedShuffle(
      usable.filter((r) => r.lsn !== null && r.waitable),
      input.random,
    )[0];
    ordered = waitOn ? [waitOn.name] : [];
  }
  const replicas = ordered.slice(0, input.maxReplicaAttempts);
  const primaryFirst =
    input.stale === true || ordered.length === 0 || input.random() < input.primaryReadShare;
  return {
    replicas,
    primaryFirst,
    guess: guess && ordered.length > 0,
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
  if (r.lsn === null) return 'no replayed position known yet';
  if (input.token !== null)
    return r.lsn >= input.token
      ? null
      : `known to have replayed ${formatLsn(r.lsn)}, the read needs ${formatLsn(input.token)}`;
  if (r.lagBytes === null) return 'lag unknown';
  return r.lagBytes <= input.maxLagBytes
    ? null
    : `lags ${r.lagBytes} bytes, more than maxLagBytes (${input.maxLagBytes})`;
}

function weightedShuffle<T extends { weight: number }>(
  items: readonly T[],
  random: () => number,
): T[] {
  if (items.length < 2) return items.slice();
  return items
    .map((item) => ({ item, key: Math.pow(random(), 1 / item.weight) }))
    .sort((a, b) => b.key - a.key)
    .map((x) => x.item);
}
