import type { Login } from '@app/dev-tools';
import { Client } from 'pg';
import { e2eEnv, nodeUrl, replicaNames, sql, urlAs } from '../../../test/e2e/cluster.control';

const env = e2eEnv();
const { owner, api, observer } = env.roles;
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * Runs `fn` on a connection to `node` as `login`, inside a transaction that
 * is rolled back: nothing a test writes stays.
 */
async function as<T>(login: Login, fn: (c: Client) => Promise<T>, node = 'primary'): Promise<T> {
  const client = new Client({ connectionString: urlAs(nodeUrl(node), login) });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN');
    return await fn(client);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/** The SQLSTATE `text` fails with (undefined if it succeeds), the transaction still usable after it. */
async function attempt(c: Client, text: string): Promise<string | undefined> {
  await c.query('SAVEPOINT attempt');
  try {
    await c.query(text);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  } finally {
    await c.query('ROLLBACK TO SAVEPOINT attempt');
  }
}

describe('database roles (postgres/roles.sql and the role privileges migration)', () => {
  it('no app role is a superuser or may create roles or databases', async () => {
    const rows = await sql<{ rolname: string; rolsuper: boolean; creates: boolean }>(
      'primary',
      `SELECT rolname, rolsuper, rolcreaterole OR rolcreatedb AS creates
         FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname`,
      [[owner.user, api.user, observer.user]],
    );
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatchObject({ rolsuper: false, creates: false });
  });

  it('the app roles end a session left idle in a transaction (a backstop for pooled connections)', async () => {
    for (const login of [api, observer]) {
      const setting = await as(login, async (c) =>
        c.query<{ value: string }>(
          "SELECT current_setting('idle_in_transaction_session_timeout') AS value",
        ),
      );
      expect([login.user, setting.rows[0]!.value]).toEqual([login.user, '30s']);
    }
  });

  it('every replica streams as a replication-only role', async () => {
    const rows = await sql<{ rolsuper: boolean; rolreplication: boolean; connect: boolean }>(
      'primary',
      `SELECT r.rolsuper, r.rolreplication,
              has_database_privilege(r.oid, current_database(), 'CONNECT') AS connect
         FROM pg_stat_replication s JOIN pg_roles r ON r.oid = s.usesysid`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row).toEqual({ rolsuper: false, rolreplication: true, connect: false });
    }
  });

  it('the owner owns the schema and can change it', async () => {
    const tables = await sql<{ tablename: string; tableowner: string }>(
      'primary',
      `SELECT tablename, tableowner FROM pg_tables
        WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY 1`,
      [['api_keys', 'idempotency_keys', 'migrations', 'replica_statuses', 'rides', 'users']],
    );
    expect(tables).toHaveLength(6);
    for (const t of tables) expect(t.tableowner).toBe(owner.user);
    await as(owner, async (c) => {
      await expect(attempt(c, 'CREATE TABLE roles_probe (id int)')).resolves.toBeUndefined();
      await expect(attempt(c, 'ALTER TABLE rides ADD COLUMN probe int')).resolves.toBeUndefined();
    });
  });

  it('the api reads and writes its tables and nothing more', async () => {
    await as(api, async (c) => {
      const [user] = (
        await c.query<{ id: string }>(
          "INSERT INTO users (email) VALUES ('roles-probe@example.com') RETURNING id",
        )
      ).rows;
      await c.query("INSERT INTO api_keys (user_id, key_hash) VALUES ($1, 'roles-probe')", [
        user!.id,
      ]);
      const [ride] = (
        await c.query<{ id: string }>(
          'INSERT INTO rides (user_id, distance) VALUES ($1, 1.5) RETURNING id',
          [user!.id],
        )
      ).rows;
      await c.query(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, ride_id) VALUES ($1, 'k', 'h', $2)",
        [user!.id, ride!.id],
      );
      await c.query('UPDATE api_keys SET revoked_at = now() WHERE user_id = $1', [user!.id]);
      // Issuing a key locks the rider's row (api-keys.store.ts): that needs UPDATE on users.
      await c.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [user!.id]);
      await c.query('DELETE FROM idempotency_keys WHERE user_id = $1', [user!.id]);
      await expect(c.query('SELECT count(*) FROM replica_statuses')).resolves.toBeDefined();

      for (const denied of [
        // Rides are only ever added: the log's totals are sums of the rides' events.
        'UPDATE rides SET distance = 2',
        'DELETE FROM rides',
        'DELETE FROM users',
        'DELETE FROM api_keys',
        "INSERT INTO replica_statuses (name, role, observed_at, reachable) VALUES ('x', 'replica', now(), true)",
        'UPDATE replica_statuses SET reachable = false',
        'DELETE FROM replica_statuses',
        'SELECT * FROM migrations',
        'CREATE TABLE roles_probe (id int)',
        'DROP TABLE rides',
        'TRUNCATE rides',
        'ALTER TABLE rides ADD COLUMN probe int',
        'CREATE SCHEMA roles_probe',
      ]) {
        await expect(attempt(c, denied).then((code) => [denied, code])).resolves.toEqual([
          denied,
          INSUFFICIENT_PRIVILEGE,
        ]);
      }
    });
  });

  it('the observer writes the status table and nothing else', async () => {
    await as(observer, async (c) => {
      await c.query(
        `INSERT INTO replica_statuses (name, role, observed_at, reachable) VALUES ('roles-probe', 'replica', now(), true)
         ON CONFLICT (name) DO UPDATE SET reachable = excluded.reachable`,
      );
      await c.query("DELETE FROM replica_statuses WHERE name = 'roles-probe'");
      for (const denied of [
        'SELECT 1 FROM rides',
        'SELECT 1 FROM api_keys',
        "INSERT INTO users (email) VALUES ('roles-probe@example.com')",
        'CREATE TABLE roles_probe (id int)',
      ]) {
        await expect(attempt(c, denied).then((code) => [denied, code])).resolves.toEqual([
          denied,
          INSUFFICIENT_PRIVILEGE,
        ]);
      }
    });
  });

  describe.each([
    ['api', api],
    ['observer', observer],
  ])('the %s role and the WAL', (_, login) => {
    it('reads the primary position and the replication view', async () => {
      await as(login, async (c) => {
        const { rows } = await c.query<{ in_recovery: boolean; senders: number; hidden: number }>(
          `SELECT pg_is_in_recovery() AS in_recovery, pg_current_wal_insert_lsn(), pg_current_wal_lsn(),
                  pg_walfile_name(pg_current_wal_lsn()),
                  (SELECT count(*)::int FROM pg_stat_replication) AS senders,
                  (SELECT count(*)::int FROM pg_stat_replication WHERE state IS NULL) AS hidden`,
        );
        // Without pg_read_all_stats every column but the pid is NULL.
        expect(rows[0]).toMatchObject({ in_recovery: false, hidden: 0 });
        expect(rows[0]!.senders).toBeGreaterThan(0);
      });
    });

    it('reads a replica position, its receiver and its lag, but cannot pause replay or read primary_conninfo', async () => {
      const replica = replicaNames()[0]!;
      await as(
        login,
        async (c) => {
          const { rows } = await c.query<{ in_recovery: boolean; seen: boolean }>(
            `SELECT pg_is_in_recovery() AS in_recovery, pg_last_wal_replay_lsn(), pg_last_wal_receive_lsn(),
                    pg_last_xact_replay_timestamp(),
                    (SELECT status IS NOT NULL AND received_tli IS NOT NULL FROM pg_stat_wal_receiver) AS seen`,
          );
          // `seen`: the receiver's columns, NULL without pg_read_all_stats.
          expect(rows[0]).toMatchObject({
            in_recovery: true,
            pg_last_wal_replay_lsn: expect.any(String),
            seen: true,
          });
          await expect(attempt(c, 'SELECT pg_wal_replay_pause()')).resolves.toBe(
            INSUFFICIENT_PRIVILEGE,
          );
          // primary_conninfo holds the replication role's password.
          await expect(attempt(c, "SELECT current_setting('primary_conninfo')")).resolves.toBe(
            INSUFFICIENT_PRIVILEGE,
          );
        },
        replica,
      );
    });
  });
});
