import type { ApiResponse } from '../api.client';
import { Session } from './session';

const answer = (token: string) =>
  ({ status: 200, headers: new Headers({ 'consistency-token': token }) }) as ApiResponse;

describe('Session', () => {
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
