/**
 * `check-proxy-overflow.ts <proxy url> [requests]`: the compose tests' check of
 * the API's proxy, run while it has room for almost nothing (API_MAX_IN_FLIGHT=1,
 * PROXY_QUEUE_MS=1). Registers a user, sends `requests` (40) POST /rides at
 * once, each on a connection of its own with an X-Request-Id, and checks that
 * the proxy answered the overflow itself: 503, Retry-After, the API's JSON
 * shape, the request's id echoed (tools/src/proxy/overflow.check.ts). Exits 1
 * otherwise, saying what it got.
 */
import { randomUUID } from 'node:crypto';
import { overflowProblems, post, type OverflowAnswer } from '../src/proxy/overflow.check';

async function main(url: string, count: number): Promise<number> {
  const user = await post(url, '/users', {}, { email: `overflow-${randomUUID()}@example.com` });
  if (user.status !== 201) {
    console.error(`POST /users through ${url}: ${user.status} ${user.body.slice(0, 200)}`);
    return 1;
  }
  const { api_key: key } = JSON.parse(user.body) as { api_key: string };
  const run = randomUUID().slice(0, 8);
  const answers: OverflowAnswer[] = await Promise.all(
    Array.from({ length: count }, async (_, n) => {
      const sentId = `overflow-${run}-${n}`;
      const r = await post(
        url,
        '/rides',
        { authorization: `Bearer ${key}`, 'x-request-id': sentId },
        { distance: 1 },
      );
      return {
        status: r.status,
        sentId,
        requestId: r.headers['x-request-id'],
        retryAfter: r.headers['retry-after'],
        contentType: r.headers['content-type'],
        body: r.body,
      };
    }),
  );
  const byStatus = new Map<number, number>();
  for (const a of answers) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
  const tally = [...byStatus].map(([status, n]) => `${n} x ${status || 'no answer'}`).join(', ');
  const problems = overflowProblems(answers);
  const busy = answers.find((a) => a.status === 503);
  console.log(
    `${count} POST /rides at once through ${url}: ${tally}` +
      (busy ? `; a 503: Retry-After ${busy.retryAfter}, ${busy.body}` : ''),
  );
  for (const p of problems.slice(0, 10)) console.error(`  ${p}`);
  return problems.length === 0 ? 0 : 1;
}

const [url, requests = '40'] = process.argv.slice(2);
if (!url || !/^\d+$/.test(requests)) {
  console.error('usage: check-proxy-overflow.ts <proxy url> [requests]');
  process.exit(2);
}
main(url, Number(requests)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
