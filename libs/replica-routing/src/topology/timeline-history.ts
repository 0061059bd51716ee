import { formatLsn, parseLsn, type Lsn } from '../lsn.util';
import type { Position } from '../position';

/** Where each earlier timeline ended: `ends.get(1)` is the first position of timeline 2. */
export type TimelineEnds = ReadonlyMap<number, Lsn>;

export type Resolution =
  { ok: true; lsn: Lsn } | { ok: false; reason: 'lost' | 'unverifiable' | 'newer'; detail: string };

/**
 * Decides what a position means on the current timeline `current`. A position
 * on an earlier timeline `t` names the same WAL on the current one only if it
 * is at or before the point where `t` ended (the ends only grow along one
 * history, so that point bounds every later switch as well). Past it, the WAL
 * it names was never replayed by the node that was promoted: its write is lost.
 */
export function resolvePosition(
  position: Position,
  current: number | null,
  ends: TimelineEnds,
): Resolution {
  const { tli, lsn } = position;
  if (tli === null || current === null || tli === current) return { ok: true, lsn };
  if (tli > current)
    return {
      ok: false,
      reason: 'newer',
      detail: `timeline ${tli} is newer than the current ${current}`,
    };
  const end = ends.get(tli);
  if (end === undefined)
    return {
      ok: false,
      reason: 'unverifiable',
      detail: `where timeline ${tli} ended is unknown (current timeline ${current})`,
    };
  if (lsn <= end) return { ok: true, lsn };
  return {
    ok: false,
    reason: 'lost',
    detail: `timeline ${tli} ended at ${formatLsn(end)}, before ${formatLsn(lsn)}`,
  };
}

/**
 * The later of two positions, for a scope's token. On one timeline: the
 * higher. Across timelines, the earlier one is moved onto the later timeline
 * when `ends` proves it is in its history; otherwise the pair keeps the
 * earlier timeline with the higher position, which resolves as lost when it
 * cannot be proven (a false alarm is possible there, a silent miss is not).
 */
export function laterPosition(
  a: Position | null | undefined,
  b: Position | null | undefined,
  ends: TimelineEnds = new Map(),
): Position | null {
  if (!a) return b ?? null;
  if (!b) return a;
  const lsn = a.lsn > b.lsn ? a.lsn : b.lsn;
  if (a.tli === b.tli || a.tli === null || b.tli === null) return { tli: a.tli ?? b.tli, lsn };
  const [early, late] = a.tli < b.tli ? [a, b] : [b, a];
  const end = ends.get(early.tli!);
  if (end !== undefined && early.lsn <= end) return { tli: late.tli, lsn };
  return { tli: early.tli, lsn };
}

/**
 * Parses a timeline history file (`pg_wal/00000003.history`): one line per
 * earlier timeline, `<tli>\t<X/Y switch point>\t<reason>`.
 */
export function parseHistoryFile(text: string): Map<number, Lsn> {
  const ends = new Map<number, Lsn>();
  for (const line of text.split('\n')) {
    const match = /^\s*(\d+)\s+([0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8})/.exec(line);
    if (match) ends.set(Number(match[1]), parseLsn(match[2]!));
  }
  return ends;
}

/**
 * Parses Patroni's `GET /history`: `[[tli, switch point as a byte offset or
 * "X/Y", reason, timestamp, new leader?], ...]`.
 */
export function parsePatroniHistory(body: unknown): Map<number, Lsn> {
  const ends = new Map<number, Lsn>();
  if (!Array.isArray(body)) return ends;
  for (const entry of body) {
    if (!Array.isArray(entry)) continue;
    const [tli, at] = entry as unknown[];
    if (typeof tli !== 'number' || !Number.isInteger(tli)) continue;
    if (typeof at === 'number' && Number.isSafeInteger(at) && at >= 0) ends.set(tli, BigInt(at));
    else if (typeof at === 'string' && /^\d+$/.test(at)) ends.set(tli, BigInt(at));
    else if (typeof at === 'string') ends.set(tli, parseLsn(at));
  }
  return ends;
}
