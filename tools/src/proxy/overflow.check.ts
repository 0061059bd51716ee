import { request } from 'node:http';
import { PROXY_BUSY_ERROR } from './haproxy.command';

/** One answer of the overflow check, as far as it is judged. */
export interface OverflowAnswer {
  status: number;
  sentId: string;
  requestId: string | undefined;
  retryAfter: string | undefined;
  contentType: string | undefined;
  body: string;
}

/**
 * What is wrong with the answers to a burst sent through the proxy with room
 * for almost nothing (`maxconn` 1, a 1 ms queue): some must be 201s (passed
 * through), some the proxy's own 503 in the API's JSON shape with a
 * Retry-After, and nothing else; every one must echo its X-Request-Id.
 * Empty when all is well.
 */
export function overflowProblems(answers: readonly OverflowAnswer[]): string[] {
  const problems: string[] = [];
  const busy = JSON.stringify({ error: PROXY_BUSY_ERROR });
  const isProxyBusy = (a: OverflowAnswer) =>
    a.status === 503 &&
    a.body === busy &&
    /^application\/json\b/.test(a.contentType ?? '') &&
    /^[1-9]\d*$/.test(a.retryAfter ?? '');
  const created = answers.filter((a) => a.status === 201).length;
  const refused = answers.filter(isProxyBusy).length;
  if (created === 0) problems.push('no 201: nothing went through the proxy');
  if (refused === 0) problems.push(`no 503 from the proxy's queue (${busy} with Retry-After)`);
  for (const a of answers) {
    if (a.status !== 201 && !isProxyBusy(a))
      problems.push(
        `${a.status} (content-type ${a.contentType ?? 'none'}, Retry-After ${a.retryAfter ?? 'none'}): ${a.body.slice(0, 120)}`,
      );
    if (a.requestId !== a.sentId)
      problems.push(`${a.status} for ${a.sentId} carried X-Request-Id ${a.requestId ?? 'none'}`);
  }
  return problems;
}

/** POSTs `path` with `body` on a connection of its own; never rejects (status 0 on failure). */
export function post(
  url: string,
  path: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<{ status: number; headers: Record<string, string | undefined>; body: string }> {
  const payload = JSON.stringify(body);
  return new Promise((done) => {
    const req = request(
      `${url}${path}`,
      {
        method: 'POST',
        agent: false,
        timeout: 10_000,
        headers: { ...headers, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const h = (name: string) => {
            const v = res.headers[name];
            return Array.isArray(v) ? v[0] : v;
          };
          done({
            status: res.statusCode ?? 0,
            headers: {
              'x-request-id': h('x-request-id'),
              'retry-after': h('retry-after'),
              'content-type': h('content-type'),
            },
            body: text,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', (error) => done({ status: 0, headers: {}, body: error.message }));
    req.end(payload);
  });
}
