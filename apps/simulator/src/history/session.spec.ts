import type { ApiResponse } from '../api.client';
import type { HistoryRecord } from './history.record';
import type { HistoryWriter } from './history.writer';
import { Session } from './session';

const answer = (token: string) =>
  ({ status: 200, headers: new Headers({ 'consistency-token': token }) }) as ApiResponse;

describe('Session', () => {
  afterEach(() => jest.restoreAllMocks());

  it('stamps an operation’s end on the monotonic clock: a wall clock stepped back puts it before no start', () => {
    const records: HistoryRecord[] = [];
    const session = new Session('u1', {
      record: (r: HistoryRecord) => void records.push(r),
    } as HistoryWriter);
    const start = performance.timeOrigin + performance.now();
    const wall = Date.now() - 3_600_000;
    jest.spyOn(Date, 'now').mockImplementation(() => wall);
    session.record('read', start, null, answer('1:0/5000000'), {});
    expect(records[0]!.end).toBeGreaterThanOrEqual(start);
  });

  it('keeps the newest token: a later timeline wins, even at a lower position', () => {
    const session = new Session('u1', undefined);
    session.record('write', 0, null, answer('1:0/5000000'), {});
    session.record('read', 0, null, answer('1:0/4000000'), {});
    expect(session.token).toBe('1:0/5000000');
    // A failover dropped the old timeline's tail: the new one starts below 0/5000000.
    session.record('write', 0, null, answer('2:0/4000100'), {});
    expect(session.token).toBe('2:0/4000100');
  });
});
