import { ConsistencyTokens, parseLsn } from '@app/replica-routing';
import request from 'supertest';
import { canControlNodes as inProcess } from '../../../test/e2e/cluster.control';
import { createRider, startApi, writeAndReadBack, type RunningApi } from './api.harness';

const SECRET = 'e2e-token-schema-secret-0123456789';

interface HeaderSchema {
  schema?: { pattern?: string };
}
interface Document {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: ({ name: string; in: string } & HeaderSchema)[];
        responses: Record<string, { headers?: Record<string, HeaderSchema> }>;
      }
    >
  >;
}

/** Every pattern the document gives the Consistency-Token header, asked or answered. */
function tokenPatterns(doc: Document): string[] {
  const patterns = new Set<string>();
  for (const methods of Object.values(doc.paths)) {
    for (const op of Object.values(methods)) {
      for (const p of op.parameters ?? [])
        if (p.in === 'header' && p.name === 'Consistency-Token' && p.schema?.pattern)
          patterns.add(p.schema.pattern);
      for (const response of Object.values(op.responses)) {
        const pattern = response.headers?.['Consistency-Token']?.schema?.pattern;
        if (pattern) patterns.add(pattern);
      }
    }
  }
  return [...patterns];
}

/** Tokens a running API hands out: sign-up, a write, a read of it. */
async function issuedTokens(api: RunningApi): Promise<string[]> {
  const rider = await createRider(api.url);
  const { written, read } = await writeAndReadBack(api.url, rider, 4);
  return [rider.token, written.headers['consistency-token'], read.headers['consistency-token']].map(
    String,
  );
}

/**
 * The OpenAPI document describes the tokens the API really issues: a client
 * generated from it, or a gateway validating against it, accepts every one.
 */
// In-process APIs of their own (a secret of the test's, a fresh registry): not against a running stack.
(inProcess ? describe : describe.skip)('Consistency-Token in the OpenAPI document', () => {
  let unsigned: RunningApi;
  let signed: RunningApi;
  let patterns: RegExp[];

  beforeAll(async () => {
    unsigned = await startApi();
    signed = await startApi({ TOKEN_SECRET: SECRET });
    const doc = (await request(unsigned.url).get('/docs/json').expect(200)).body as Document;
    patterns = tokenPatterns(doc).map((p) => new RegExp(p));
  });

  afterAll(async () => {
    await Promise.all([unsigned.close(), signed.close()]);
  });

  it('documents a pattern on the header, asked and answered', () => {
    expect(patterns.length).toBeGreaterThan(0);
  });

  it.each([
    ['unsigned', () => unsigned],
    ['signed', () => signed],
  ])('every %s token the API issues matches every documented pattern', async (_, api) => {
    const tokens = await issuedTokens(api());
    expect(tokens).toHaveLength(3);
    for (const token of tokens) {
      expect(token).toMatch(/^\d+:/); // issued with its timeline
      for (const pattern of patterns) expect([token, pattern.test(token)]).toEqual([token, true]);
    }
  });

  it('the form without a timeline (a position whose timeline is unknown), signed or not, matches too', async () => {
    const lsn = parseLsn('0/3000148');
    const forms = [undefined, SECRET].map((tokenSecret) =>
      new ConsistencyTokens({ tokenSecret } as ConstructorParameters<
        typeof ConsistencyTokens
      >[0]).format({ lsn, tli: null }),
    );
    expect(forms[0]).toBe('0/3000148');
    expect(forms[1]).toMatch(/^0\/3000148\.[A-Za-z0-9_-]{22}$/);
    for (const token of forms)
      for (const pattern of patterns) expect([token, pattern.test(token)]).toEqual([token, true]);
    // And the API that signed it takes it back.
    const rider = await createRider(signed.url);
    await request(signed.url)
      .get('/rides')
      .set(rider.auth)
      .set('Consistency-Token', forms[1]!)
      .expect(200);
  });

  it('a token that is not one fails the documented pattern', () => {
    for (const bad of ['', '0/', 'x:0/1', '1:0/1.short', '0/3000148; drop'])
      for (const pattern of patterns) expect([bad, pattern.test(bad)]).toEqual([bad, false]);
  });

  it('takes the Bearer scheme in any case (RFC 9110: schemes are case-insensitive)', async () => {
    const rider = await createRider(unsigned.url);
    const key = rider.auth.Authorization.replace(/^Bearer /, '');
    for (const scheme of ['bearer', 'BEARER'])
      await request(unsigned.url)
        .get('/rides')
        .set('Authorization', `${scheme} ${key}`)
        .expect(200);
  });
});
