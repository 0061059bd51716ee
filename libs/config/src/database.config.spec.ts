import { validateConfig } from './config.validator';
import { DatabaseConfig } from './database.config';

describe('DatabaseConfig', () => {
  it('derives the cluster URLs from the POSTGRES_* defaults', () => {
    const config = validateConfig(DatabaseConfig, {});
    expect(config.primaryUrl()).toBe('postgres://rocket:rocket@127.0.0.1:5433/rocket_rides');
    expect(config.replicas()).toHaveLength(5);
    expect(config.replicas()[4]).toEqual({
      name: 'replica4',
      url: 'postgres://rocket:rocket@127.0.0.1:5438/rocket_rides',
    });
  });

  it('takes explicit URLs, named or not', () => {
    const config = validateConfig(DatabaseConfig, {
      DATABASE_URL: 'postgres://u:p@db:5432/x',
      REPLICA_URLS: 'east=postgres://u:p@r1:5432/x, postgres://u:p@r2:5432/x',
    });
    expect(config.primaryUrl()).toBe('postgres://u:p@db:5432/x');
    expect(config.replicas()).toEqual([
      { name: 'east', url: 'postgres://u:p@r1:5432/x' },
      { name: 'replica1', url: 'postgres://u:p@r2:5432/x' },
    ]);
  });

  it('refuses REPLICA_URLS that are not postgres:// URLs', () => {
    for (const bad of ['mysql://u:p@r1/x', 'east=postgres://u:p@r1/x, r2:5432'])
      expect(() => validateConfig(DatabaseConfig, { REPLICA_URLS: bad })).toThrow(
        /REPLICA_URLS=.*must be comma-separated name=postgres:\/\/\.\.\. entries/,
      );
    expect(
      validateConfig(DatabaseConfig, { REPLICA_URLS: 'postgres://u:p@r1/x,' }).replicas(),
    ).toHaveLength(1);
  });

  it('refuses at start what the routing library would refuse later: a Patroni URL with credentials, a query or a fragment; a name over 63 characters', () => {
    const hosts = 'pg0=postgres://u:p@h0/x,pg1=postgres://u:p@h1/x';
    for (const bad of ['http://user:pw@h:8008', 'http://h:8008?x=1', 'http://h:8008#top'])
      expect(() =>
        validateConfig(DatabaseConfig, { DATABASE_HOSTS: hosts, PATRONI_URLS: bad }),
      ).toThrow(/PATRONI_URLS=.*no credentials, query or fragment/);
    const ok = validateConfig(DatabaseConfig, {
      DATABASE_HOSTS: hosts,
      PATRONI_URLS: 'http://h0:8008, https://proxy/patroni/pg1',
    });
    expect(ok.routingNodes()).toMatchObject({
      patroniUrls: ['http://h0:8008', 'https://proxy/patroni/pg1'],
    });
    const long = 'n'.repeat(64);
    expect(() =>
      validateConfig(DatabaseConfig, { DATABASE_HOSTS: `${long}=postgres://u:p@h0/x` }),
    ).toThrow(/DATABASE_HOSTS=/);
    expect(() =>
      validateConfig(DatabaseConfig, { REPLICA_URLS: `${long}=postgres://u:p@h0/x` }),
    ).toThrow(/REPLICA_URLS=/);
  });

  it('refuses REPLICA_URLS that name a node twice (a bare URL takes its place in the list)', () => {
    expect(() =>
      validateConfig(DatabaseConfig, {
        REPLICA_URLS: 'replica1=postgres://u:p@r1/x,postgres://u:p@r2/x',
      }),
    ).toThrow(/REPLICA_URLS names replica1 twice/);
    expect(() =>
      validateConfig(DatabaseConfig, { REPLICA_URLS: 'primary=postgres://u:p@r1/x' }),
    ).toThrow(/"primary" is reserved/);
  });

  it('stops with a message naming every bad variable', () => {
    expect(() =>
      validateConfig(DatabaseConfig, {
        POSTGRES_PORT: 'abc',
        NUM_REPLICAS: '99',
        DATABASE_URL: 'mysql://x',
      }),
    ).toThrow(
      /POSTGRES_PORT="abc"[\s\S]*NUM_REPLICAS="99"[\s\S]*DATABASE_URL="mysql:\/\/x": must be a postgres:\/\/ URL/,
    );
  });
});
