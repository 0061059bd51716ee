import { PROXY_BUSY_ERROR } from '../proxy/haproxy.command';
import { classifyAnswer } from './storm.answers';

describe('classifyAnswer', () => {
  const id = { 'X-Request-Id': 'storm-1' };
  const busy = (error: string) => JSON.stringify({ error });

  it('takes a 201, and a refusal with Retry-After in the JSON shape, telling the proxy from the API', () => {
    expect(classifyAnswer(201, id, '{"id":1}', 'storm-1')).toEqual({ kind: 'created' });
    expect(
      classifyAnswer(503, { ...id, 'retry-after': '1' }, busy(PROXY_BUSY_ERROR), 'storm-1'),
    ).toEqual({ kind: 'refused', by: 'proxy' });
    expect(
      classifyAnswer(
        503,
        { ...id, 'Retry-After': '3' },
        busy('The API is busy; retry in 3 s.'),
        'storm-1',
      ),
    ).toEqual({ kind: 'refused', by: 'api' });
  });

  it.each([
    [500, { ...id }, busy('boom'), 'storm-1', '500'],
    [503, { ...id }, busy('busy'), 'storm-1', '503 without Retry-After'],
    [
      503,
      { ...id, 'retry-after': '1' },
      '<html>busy</html>',
      'storm-1',
      "503 not in the API's JSON shape",
    ],
    [
      503,
      { ...id, 'retry-after': '1' },
      '{"error":"x","more":1}',
      'storm-1',
      "503 not in the API's JSON shape",
    ],
    [201, {}, '{}', 'storm-1', '201 without its X-Request-Id (none)'],
    [201, { 'x-request-id': 'other' }, '{}', 'storm-1', '201 without its X-Request-Id (other)'],
  ])('calls %s %j %s bad', (status, headers, body, sent, reason) => {
    expect(classifyAnswer(status, headers, body, sent)).toEqual({ kind: 'bad', reason });
  });
});
