import { resolveOptions } from './replica-routing.options';

describe('resolveOptions', () => {
  it('fills every default', () => {
    const o = resolveOptions({
      primary: { url: 'postgres://p' },
      replicas: [{ name: 'r0', url: 'postgres://r0' }],
    });
    expect(o).toMatchObject({
      primaryReadShare: 0,
      replicaWaitMs: 0,
      tokenlessReads: 'primary',
      statusTable: 'replica_statuses',
      statusRefreshMs: 250,
      primaryCooldownMs: 30_000,
    });
    expect(o.replicas).toEqual([{ name: 'r0', url: 'postgres://r0', weight: 1 }]);
  });

  it('keeps explicit values, including zero', () => {
    expect(
      resolveOptions({ primary: { url: 'postgres://p' }, statusRefreshMs: 0 }).statusRefreshMs,
    ).toBe(0);
  });

  it('refuses fractional counts, timers Node cannot run, and a string for connectionProofs', () => {
    expect(() =>
      resolveOptions({
        primary: { url: 'postgres://p' },
        poolSize: 2.5,
        electionWaitMs: 2 ** 31,
        connectionProofs: 'false' as unknown as boolean,
      }),
    ).toThrow(
      /poolSize must be a whole number[\s\S]*electionWaitMs must be at most 2147483647[\s\S]*connectionProofs must be true or false/,
    );
  });

  it('names every problem at once', () => {
    expect(() =>
      resolveOptions({
        primary: {},
        replicas: [
          { name: 'primary', url: 'postgres://x' },
          { name: 'dup', url: 'postgres://x' },
          { name: 'dup', url: 'postgres://x', weight: -1 },
        ],
        primaryReadShare: 2,
        statusTable: 'x; DROP TABLE users',
      }),
    ).toThrow(
      /primary: give a url[\s\S]*reserved for the primary[\s\S]*"dup" is used twice[\s\S]*weight must be[\s\S]*primaryReadShare[\s\S]*statusTable/,
    );
  });

  it('takes a Patroni base URL with a path (a proxy in front), not one with a query or credentials', () => {
    const hosts = [{ name: 'pg0', url: 'postgres://pg0' }];
    const ok = [
      'http://127.0.0.1:8008',
      'https://patroni.internal/',
      'http://proxy:80/patroni/pg0',
    ];
    expect(resolveOptions({ hosts, patroniUrls: ok }).patroniUrls).toEqual(ok);
    for (const bad of [
      'http://proxy/patroni?x=1',
      'http://user:secret@proxy:8008',
      'http://proxy/p#x',
      'ftp://proxy',
      'proxy:8008',
      'http://proxy/ a',
    ])
      expect(() => resolveOptions({ hosts, patroniUrls: [bad] })).toThrow(
        `patroniUrls: ${JSON.stringify(bad)} is not an http(s) base URL`,
      );
  });

  it('refuses a statement and a connect timeout whose sum, the client-side query timeout, no timer can run', () => {
    const primary = { url: 'postgres://p' };
    expect(() =>
      resolveOptions({ primary, statementTimeoutMs: 2 ** 31 - 1, connectTimeoutMs: 2000 }),
    ).toThrow(/statementTimeoutMs \+ connectTimeoutMs must be at most 2147483647/);
    expect(
      resolveOptions({ primary, statementTimeoutMs: 2 ** 31 - 2001, connectTimeoutMs: 2000 })
        .statementTimeoutMs,
    ).toBe(2 ** 31 - 2001);
  });
});
