import { parseLsn } from '../lsn.util';
import {
  laterPosition,
  parseHistoryFile,
  parsePatroniHistory,
  resolvePosition,
} from './timeline-history';

describe('timeline history', () => {
  // Timeline 1 ended at 0/5000000, timeline 2 at 0/7000000; timeline 3 is current.
  const ends = new Map([
    [1, parseLsn('0/5000000')],
    [2, parseLsn('0/7000000')],
  ]);

  it('takes a position of an earlier timeline up to where that timeline ended', () => {
    expect(resolvePosition({ tli: 1, lsn: parseLsn('0/5000000') }, 3, ends)).toEqual({
      ok: true,
      lsn: parseLsn('0/5000000'),
    });
    expect(resolvePosition({ tli: 2, lsn: parseLsn('0/6000000') }, 3, ends).ok).toBe(true);
    expect(resolvePosition({ tli: 3, lsn: parseLsn('0/9000000') }, 3, ends).ok).toBe(true);
  });

  it('calls a position past its timeline end lost: the promoted node never had it', () => {
    const lost = resolvePosition({ tli: 1, lsn: parseLsn('0/5000001') }, 3, ends);
    expect(lost).toMatchObject({ ok: false, reason: 'lost' });
    expect(lost.ok || lost.detail).toMatch(/timeline 1 ended at 0\/5000000/);
  });

  it('cannot vouch for a timeline whose end is unknown, nor for a newer timeline', () => {
    expect(resolvePosition({ tli: 1, lsn: 1n }, 3, new Map())).toMatchObject({
      ok: false,
      reason: 'unverifiable',
    });
    expect(resolvePosition({ tli: 4, lsn: 1n }, 3, ends)).toMatchObject({
      ok: false,
      reason: 'newer',
    });
  });

  it('takes a position without a timeline (older tokens), or before any is known, as is', () => {
    expect(resolvePosition({ tli: null, lsn: 7n }, 3, ends)).toEqual({ ok: true, lsn: 7n });
    expect(resolvePosition({ tli: 1, lsn: 7n }, null, ends)).toEqual({ ok: true, lsn: 7n });
  });

  it('merges across timelines only where the history proves it, else keeps the doubt', () => {
    const early = { tli: 1, lsn: parseLsn('0/4000000') };
    const late = { tli: 2, lsn: parseLsn('0/6000000') };
    expect(laterPosition(early, late, ends)).toEqual({ tli: 2, lsn: parseLsn('0/6000000') });
    // Without the history the earlier timeline is kept with the higher position: it resolves as
    // lost or unverifiable, never as a silently covered position.
    expect(laterPosition(early, late)).toEqual({ tli: 1, lsn: parseLsn('0/6000000') });
    const lostEarly = { tli: 1, lsn: parseLsn('0/5500000') };
    expect(laterPosition(lostEarly, late, ends)).toEqual({ tli: 1, lsn: parseLsn('0/6000000') });
    expect(laterPosition({ tli: 2, lsn: 5n }, { tli: 2, lsn: 9n })).toEqual({ tli: 2, lsn: 9n });
    expect(laterPosition(null, { tli: null, lsn: 9n })).toEqual({ tli: null, lsn: 9n });
  });

  it('reads history files and Patroni /history', () => {
    const file =
      '1\t0/5000000\tno recovery target specified\n\n2\t0/7000000\tno recovery target specified\n';
    expect(parseHistoryFile(file)).toEqual(ends);
    expect(
      parsePatroniHistory([
        [1, 83886080, 'no recovery target specified', '2026-11-23T18:00:00+00:00', 'pg0'],
        [2, '0/7000000', 'no recovery target specified', '2026-11-23T18:05:00+00:00'],
        'junk',
      ]),
    ).toEqual(ends);
  });
});
