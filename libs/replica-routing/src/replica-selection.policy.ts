import { formatLsn, type Lsn } from './lsn.util';

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
}

export interface SelectionPlan {
  /** Replicas to try, in order; each is re-checked on its own connection before use. */
  replicas: string[];
  /** Whether the primary is tried before the replicas (the primary read share). */
  primaryFirst: boolean;
  /** True when the one replica offered is a guess: none was known to have the token. */
  guess: boolean;
}

/**
 * Pure policy: which replicas may serve a read, and in which order. Eligible
 * replicas are shuffled by weight (Efraimidis-Spirakis), so that load spreads
 * as configured; a share of reads may be kept on the primary.
 */
export function planRead(input: SelectionInput): SelectionPlan {
  if (input.token === null && input.tokenlessReads === 'primary') {
    return { replicas: [], primaryFirst: true, guess: false };
  }
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
  const primaryFirst = ordered.length === 0 || input.random() < input.primaryReadShare;
  return {
    replicas: ordered.slice(0, input.maxReplicaAttempts),
    primaryFirst,
    guess: guess && ordered.length > 0,
  };
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
  return items
    .map((item) => ({ item, key: Math.pow(random(), 1 / item.weight) }))
    .sort((a, b) => b.key - a.key)
    .map((x) => x.item);
}
