import request from 'supertest';
import { canControlNodes as inProcess } from '../../../test/e2e/cluster.control';
import { e2eEnv } from '../../../test/e2e/e2e.env';
import { startApi, type RunningApi } from './api.harness';

/** `name{label="value"} number` lines of a Prometheus text exposition. */
function series(text: string, name: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`).exec(line);
    if (match) found.set(match[1]!, Number(match[2]));
  }
  return found;
}

/**
 * Counters that alerts and `rate()` read exist from startup, at 0, for every
 * node and reason known then; a series that appears only with its first event
 * hides the first increase from `rate()` and from an alert on it.
 */
// In-process APIs of their own (a secret of the test's, a fresh registry): not against a running stack.
(inProcess ? describe : describe.skip)('/metrics of a fresh API', () => {
  let api: RunningApi;
  let text: string;

  beforeAll(async () => {
    api = await startApi();
    // The first request of all: nothing has timed out, been refused or rejected yet.
    text = (await request(api.url).get('/metrics').expect(200)).text;
  });

  afterAll(() => api.close());

  const nodes = () => ['primary', ...e2eEnv().replicaUrls.map((r) => r.name)];

  it.each(['replica_routing_wait_timeouts_total', 'replica_routing_check_refused_total'])(
    '%s has a 0 series for every node',
    (name) => {
      const found = series(text, name);
      expect(
        nodes()
          .map((node) => found.get(`node="${node}"`))
          .every((v) => v === 0),
      ).toBe(true);
      expect(found.size).toBe(nodes().length);
    },
  );

  it('replica_routing_token_rejected_total has a 0 series for every reason', () => {
    const found = series(text, 'replica_routing_token_rejected_total');
    expect(Object.fromEntries(found)).toEqual({
      'reason="malformed"': 0,
      'reason="bad_signature"': 0,
      'reason="ahead_of_primary"': 0,
    });
  });
});

// Counts of its own API's answers: not against a running stack, which others' requests reach.
(inProcess ? describe : describe.skip)('http_request_duration_seconds', () => {
  let api: RunningApi;

  beforeAll(async () => {
    api = await startApi();
  });

  afterAll(() => api.close());

  it('times the answers the body parsers and the token check give too, before any route', async () => {
    await request(api.url)
      .post('/users')
      .set('content-type', 'application/json')
      .send('{"email": ')
      .expect(400);
    await request(api.url).post('/users').set('content-type', 'text/plain').send('x').expect(415);
    await request(api.url).get('/rides').set('Consistency-Token', 'not a token').expect(400);
    const text = (await request(api.url).get('/metrics').expect(200)).text;
    const counts = series(text, 'http_request_duration_seconds_count');
    const timed = (status: string) =>
      [...counts]
        .filter(([labels]) => labels.includes(`status_code="${status}"`))
        .reduce((sum, [, n]) => sum + n, 0);
    expect({ 400: timed('400'), 415: timed('415') }).toEqual({ 400: 2, 415: 1 });
  });
});
