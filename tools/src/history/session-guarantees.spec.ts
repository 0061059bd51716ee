import type { HistoryRecord } from '../../../apps/simulator/src/history/history.record';
import { checkSessionGuarantees, formatReport, type Guarantee } from './session-guarantees';

let clock = 0;
const op = (fields: Partial<HistoryRecord> & Pick<HistoryRecord, 'op'>): HistoryRecord => {
  const start = (clock += 10);
  return {
    client: 'u1',
    tokenSent: null,
    tokenReceived: null,
    status: 200,
    node: 'replica0',
    start,
    end: start + 5,
    ...fields,
  };
};
const write = (ride: number, token: string) =>
  op({
    op: 'write',
    ride,
    distance: ride * 10,
    tokenReceived: token,
    status: 201,
    node: 'primary',
  });
const read = (ride: number, distance: number | null, token: string) =>
  op({ op: 'read', ride, distance, tokenReceived: token, status: distance === null ? 404 : 200 });
const list = (ids: number[], token: string, limit = 20) =>
  op({
    op: 'list',
    rides: ids.map((id) => ({ id, distance: id * 10 })),
    limit,
    tokenReceived: token,
  });

const broken = (history: HistoryRecord[]): Guarantee[] =>
  checkSessionGuarantees(history).violations.map((v) => v.guarantee);

describe('checkSessionGuarantees', () => {
  it('passes a history that keeps all four', () => {
    const report = checkSessionGuarantees([
      write(1, '1:0/100'),
      read(1, 10, '1:0/100'),
      write(2, '1:0/200'),
      list([2, 1], '1:0/210'),
      read(2, 20, '1:0/220'),
    ]);
    expect(report.violations).toEqual([]);
    expect(report.checked).toEqual({
      'read-your-writes': 4,
      'monotonic-reads': 4,
      'monotonic-writes': 1,
      'writes-follow-reads': 1,
    });
  });

  it('orders tokens by timeline first: after a failover a lower position on a later timeline is later', () => {
    // A primary read's token covered the old primary's unreplicated tail (0/500); timeline 2
    // starts before it. Nothing went backwards.
    expect(
      broken([
        write(1, '1:0/100'),
        read(1, 10, '1:0/500'),
        write(2, '2:0/300'),
        read(2, 20, '2:0/310'),
      ]),
    ).toEqual([]);
    expect(broken([write(1, '2:0/100'), write(2, '1:0/200')])).toEqual(['monotonic-writes']);
  });

  it('read-your-writes: a read that misses an acknowledged write (a 404 is a miss)', () => {
    expect(broken([write(1, '1:0/100'), { ...read(1, null, '1:0/90'), status: 200 }])).toContain(
      'read-your-writes',
    );
    expect(broken([write(1, '1:0/100'), list([], '1:0/100')])).toEqual(['read-your-writes']);
  });

  it('read-your-writes: a list whose window does not reach the write does not count', () => {
    expect(broken([write(1, '1:0/100'), list([5, 4], '1:0/100', 2)])).toEqual([]);
  });

  it('read-your-writes: an answer whose token is below the write', () => {
    expect(broken([write(1, '1:0/100'), read(1, 10, '1:0/90')])).toEqual(['read-your-writes']);
  });

  it('monotonic reads: a ride seen once vanishes, or the token goes back', () => {
    expect(broken([list([1], '1:0/100'), list([], '1:0/110')])).toEqual(['monotonic-reads']);
    expect(broken([list([1], '1:0/100'), list([1], '1:0/90')])).toEqual(['monotonic-reads']);
  });

  it('monotonic reads: an answer whose token is below the token the client sent with it', () => {
    expect(broken([{ ...list([], '1:0/90'), tokenSent: '1:0/100' }])).toEqual(['monotonic-reads']);
    expect(broken([{ ...list([], '1:0/100'), tokenSent: '1:0/100' }])).toEqual([]);
    // A later timeline is later, whatever its position.
    expect(broken([{ ...list([], '2:0/10'), tokenSent: '1:0/100' }])).toEqual([]);
  });

  it('monotonic writes: a later write ordered before an earlier one', () => {
    expect(broken([write(1, '1:0/200'), write(2, '1:0/100')])).toEqual(['monotonic-writes']);
  });

  it('writes follow reads: a write ordered before what a read saw', () => {
    expect(broken([list([], '2:0/300'), write(2, '2:0/200')])).toEqual(['writes-follow-reads']);
  });

  it('read-your-writes: a read of a ride written before answered 404 (it showed nothing)', () => {
    expect(broken([write(1, '1:0/100'), read(1, null, '1:0/90')])).toEqual(['read-your-writes']);
    // Not written before it (no write of that ride acknowledged first): a 404 breaks nothing.
    expect(broken([read(3, null, '1:0/90')])).toEqual([]);
  });

  it('a 410 refuses the token (a failover forked below it): an explicit error, no miss', () => {
    expect(broken([write(1, '1:0/100'), { ...read(1, null, '1:0/90'), status: 410 }])).toEqual([]);
  });

  it('a ride a failover lost (asynchronous) is expected of no later read, by id or in a list', () => {
    const history = [
      write(1, '1:0/100'),
      read(1, 10, '1:0/100'),
      write(2, '2:0/50'),
      read(1, null, '2:0/60'),
      list([2], '2:0/70'),
    ];
    expect(broken(history)).toEqual([
      'read-your-writes',
      'monotonic-reads',
      'read-your-writes',
      'monotonic-reads',
    ]);
    expect(checkSessionGuarantees(history, new Set([1])).violations).toEqual([]);
  });

  it('a lost ride is still expected of a read whose own token claims it: that token must be refused', () => {
    const claimed = (fields: Partial<HistoryRecord>) =>
      checkSessionGuarantees(
        [write(1, '1:0/100'), read(1, 10, '1:0/100'), { ...list([], '2:0/60'), ...fields }],
        new Set([1]),
      ).violations.map((v) => v.guarantee);
    // Sent the write's own token, answered without the ride: a silent miss.
    expect(claimed({ tokenSent: '1:0/100' })).toEqual(['read-your-writes', 'monotonic-reads']);
    // Sent the token of the read that saw it (past the write): still a claim on what that read saw.
    expect(claimed({ tokenSent: '1:0/120' })).toEqual(['read-your-writes', 'monotonic-reads']);
    // A token of the new timeline no longer claims it; refusing the claim is what the API owes.
    expect(claimed({ tokenSent: '2:0/50' })).toEqual([]);
    expect(claimed({ tokenSent: '1:0/100', status: 410, rides: undefined })).toEqual([]);
  });

  it('a 410 to a token of the newest timeline is a false refusal: no failover forked below it', () => {
    const refused = { ...read(1, null, '1:0/90'), status: 410, tokenSent: '1:0/100' };
    expect(broken([write(1, '1:0/100'), refused])).toEqual(['read-your-writes']);
    // After a failover to timeline 2, a token of timeline 1 may be refused.
    expect(broken([write(1, '1:0/100'), refused, write(2, '2:0/50')])).toEqual([]);
    // Unless writes survive (synchronous) and an acknowledged write covers it, from any client.
    const survive = (history: HistoryRecord[]) =>
      checkSessionGuarantees(history, new Set(), { writesSurvive: true }).violations.map(
        (v) => v.guarantee,
      );
    const other = { ...write(3, '1:0/120'), client: 'u2' };
    expect(survive([other, write(1, '1:0/100'), refused, write(2, '2:0/50')])).toEqual([
      'read-your-writes',
    ]);
    // A position past every acknowledged write (a read's, of WAL not yet flushed by the standby).
    const past = { ...refused, tokenSent: '1:0/130' };
    expect(survive([other, write(1, '1:0/100'), past, write(2, '2:0/50')])).toEqual([]);
  });

  it('every answer with content carries a usable token', () => {
    expect(broken([write(1, '1:0/100'), read(1, 10, '')])).toEqual(['monotonic-reads']);
    expect(broken([{ ...write(1, '1:0/100'), tokenReceived: null }])).toEqual(['read-your-writes']);
    expect(broken([list([], 'not a token')])).toEqual(['monotonic-reads']);
  });

  it('ignores operations that got no answer or an error', () => {
    expect(broken([write(1, '1:0/100'), { ...read(1, null, '1:0/0'), status: 503 }])).toEqual([]);
  });

  it('prints a line per guarantee and the violations', () => {
    const lines = formatReport(checkSessionGuarantees([write(1, '1:0/100'), list([], '1:0/100')]));
    expect(lines[1]).toMatch(/^read-your-writes +\| +1 \| 1$/);
    expect(lines.at(-1)).toMatch(/shows ride 1 as missing/);
  });
});
