import { resolveHaSettings } from './ha.settings';
import { postBootstrapSql } from './post-bootstrap.sql';

describe('postBootstrapSql', () => {
  const roles = {
    owner: { user: 'o', password: 'op' },
    api: { user: 'a', password: "it's" },
    observer: { user: 'ob', password: 'back\\slash' },
    log: { user: 'l', password: 'lp' },
    replication: { user: 'r', password: 'rp' },
  };

  it("creates the database, connects to it and runs roles.sql with psql's variables", () => {
    const sql = postBootstrapSql(resolveHaSettings({ roles }), 'CREATE ROLE :"api_user";');
    expect(sql.split('\n').slice(1)).toEqual([
      '\\set ON_ERROR_STOP on',
      "\\set db 'rocket_rides'",
      "\\set owner_user 'o'",
      "\\set owner_password 'op'",
      "\\set api_user 'a'",
      "\\set api_password 'it''s'",
      "\\set observer_user 'ob'",
      "\\set observer_password 'back\\\\slash'",
      "\\set log_user 'l'",
      "\\set log_password 'lp'",
      "\\set replication_user 'r'",
      "\\set replication_password 'rp'",
      'CREATE DATABASE :"db";',
      '\\connect :"db"',
      'CREATE ROLE :"api_user";',
    ]);
  });

  it('reads postgres/roles.sql by default', () => {
    expect(postBootstrapSql(resolveHaSettings())).toContain('CREATE ROLE :"api_user" LOGIN');
  });
});
