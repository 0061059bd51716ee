import { PROXY_BUSY_ERROR } from './haproxy.command';
import { overflowProblems, type OverflowAnswer } from './overflow.check';

describe('overflowProblems', () => {
  const created = (n: number): OverflowAnswer => ({
    status: 201,
    sentId: `o-${n}`,
    requestId: `o-${n}`,
    retryAfter: undefined,
    contentType: 'application/json; charset=utf-8',
    body: '{"id":1}',
  });
  const busy = (n: number): OverflowAnswer => ({
    status: 503,
    sentId: `o-${n}`,
    requestId: `o-${n}`,
    retryAfter: '1',
    contentType: 'application/json',
    body: JSON.stringify({ error: PROXY_BUSY_ERROR }),
  });

  it('passes 201s and the proxy busy 503s, each with its X-Request-Id', () => {
    expect(overflowProblems([created(1), busy(2), busy(3)])).toEqual([]);
  });

  it('needs both: something through, something refused by the proxy', () => {
    expect(overflowProblems([created(1)])).toEqual([
      expect.stringMatching(/^no 503 from the proxy's queue/),
    ]);
    expect(overflowProblems([busy(1)])).toEqual(['no 201: nothing went through the proxy']);
  });

  it('names an HTML page, a 503 without Retry-After, the API busy answer and a lost request id', () => {
    const problems = overflowProblems([
      created(1),
      busy(2),
      { ...busy(3), contentType: 'text/html', body: '<html>503</html>' },
      { ...busy(4), retryAfter: undefined },
      { ...busy(5), body: '{"error":"The API is busy; retry in 2 s."}' },
      { ...created(6), requestId: 'other' },
    ]);
    expect(problems).toEqual([
      expect.stringMatching(/^503 \(content-type text\/html/),
      expect.stringMatching(/^503 \(content-type application\/json, Retry-After none\)/),
      expect.stringMatching(/The API is busy/),
      '201 for o-6 carried X-Request-Id other',
    ]);
  });
});
