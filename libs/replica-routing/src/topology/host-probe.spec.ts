import { silentPostgres } from '../testing/silent-postgres.fixture';
import { addressOf, pgConfig, probeRole } from './host-probe';

describe('pgConfig', () => {
  const url = 'postgres://u:p@shared-host:5432/db?application_name=from-url';

  it('takes the URL, then the connection settings over it, then the library overrides', () => {
    const node = { url, connection: { host: 'replica1', port: 6432, ssl: { ca: 'CA' } } };
    const config = pgConfig(node, { max: 3, statement_timeout: 1000, application_name: 'lib' });
    expect(config).toMatchObject({
      host: 'replica1',
      port: 6432,
      user: 'u',
      password: 'p',
      database: 'db',
      ssl: { ca: 'CA' },
      max: 3,
      statement_timeout: 1000,
      // The library's application_name is a default only.
      application_name: 'from-url',
    });
    // node-postgres would lay a connection string over everything else.
    expect(config).not.toHaveProperty('connectionString');
    expect(addressOf(node)).toBe('replica1:6432');
    // A port of its own on the URL's host: the address is where the pools connect.
    expect(addressOf({ url: 'postgres://u:p@pg1/db', connection: { port: 6432 } })).toBe(
      'pg1:6432',
    );
    expect(addressOf({ url: 'postgres://u:p@pg1/db' })).toBe('pg1:5432');
  });

  it("defaults application_name to the library's", () => {
    expect(pgConfig({ url: 'postgres://u:p@h/db' }, { application_name: 'lib' })).toMatchObject({
      host: 'h',
      application_name: 'lib',
    });
  });
});

describe('probeRole, a host that answers and then goes silent', () => {
  it('settles within its timeout: the socket is destroyed, not waited for', async () => {
    const pg = await silentPostgres();
    const started = Date.now();
    const settled = probeRole({ url: `postgres://u@127.0.0.1:${pg.port}/x` }, 500).then(
      (v) => v,
      (e: unknown) => e,
    );
    const winner = await Promise.race([
      settled,
      new Promise((r) => setTimeout(() => r('still pending'), 3000)),
    ]);
    pg.close();
    await settled;
    expect({ winner, took: Date.now() - started < 3000 }).toEqual({
      winner: { standby: true, tli: null },
      took: true,
    });
  });
});
