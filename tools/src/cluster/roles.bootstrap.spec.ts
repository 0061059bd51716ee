import { LOCAL_ROLES } from '../credentials';
import { rolesSql, substitute } from './roles.bootstrap';

describe('roles bootstrap', () => {
  it('quotes identifiers and literals as psql does', () => {
    expect(substitute(`CREATE ROLE :"u" PASSWORD :'p';`, { u: 'a"b', p: "it's" })).toBe(
      `CREATE ROLE "a""b" PASSWORD 'it''s';`,
    );
  });

  it('refuses a variable it has no value for', () => {
    expect(() => substitute(`GRANT x TO :"nobody"`, {})).toThrow('no value for :"nobody"');
  });

  it('fills in every variable of postgres/roles.sql, and leaves casts alone', () => {
    const sql = rolesSql('rocket_rides', LOCAL_ROLES);
    expect(sql).not.toMatch(/:["'][a-z_]+["']/);
    expect(sql).toContain(
      `CREATE ROLE "rocket_api" LOGIN PASSWORD 'rocket_api' IN ROLE rides_api;`,
    );
    expect(sql).toContain(`ALTER DATABASE "rocket_rides" OWNER TO "rocket_owner";`);
    expect(sql).toContain(`CREATE ROLE "replicator" REPLICATION LOGIN PASSWORD 'replicator';`);
    expect(substitute('SELECT 1::text', {})).toBe('SELECT 1::text');
  });
});
