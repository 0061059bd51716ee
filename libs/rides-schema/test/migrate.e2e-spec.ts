import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { e2eEnv, sql, urlAs } from '../../../test/e2e/cluster.control';
import { waitUntil } from '../../../tools/src/process/wait';
import { migrate, MIGRATIONS } from '../src';

/**
 * A database of its own for the enclosing block, owned by the owner role (as
 * the app's database is): its URLs as the owner and as the API's role.
 */
function scratchDatabase(prefix: string): { url: string; apiUrl: string } {
  const env = e2eEnv();
  const database = `${prefix}_${process.pid}`;
  const owner = env.roles.owner.user.replace(/"/g, '""');
  const on = (login: typeof env.roles.owner) =>
    urlAs(env.primaryUrl, login).replace(/\/[^/]+$/, `/${database}`);
  beforeAll(async () => {
    await sql('primary', `CREATE DATABASE ${database} OWNER "${owner}"`);
    await sql('primary', `GRANT CONNECT ON DATABASE ${database} TO rides_api, rides_log`);
  });
  afterAll(() => sql('primary', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  return { url: on(env.roles.owner), apiUrl: on(env.roles.api) };
}

describe('migrate', () => {
  const { url } = scratchDatabase('migrate_race');

  it('two runs at once both succeed, and the migrations are applied once', async () => {
    const [first, second] = await Promise.all([migrate(url), migrate(url)]);
    expect([...first, ...second].sort()).toEqual(
      MIGRATIONS.map((m) => new m().name as string).sort(),
    );
    await expect(migrate(url)).resolves.toEqual([]);
  });
});

describe('the unified log’s migrations, on a database that already has rides', () => {
  const { url, apiUrl } = scratchDatabase('migrate_backfill');

  /** Runs `statements` on the new database as `on` (the owner by default), one client each time. */
  async function query(statements: string[], on = url): Promise<Record<string, unknown>[]> {
    const client = new Client({ connectionString: on });
    await client.connect();
    try {
      let rows: Record<string, unknown>[] = [];
      for (const statement of statements) rows = (await client.query(statement)).rows;
      return rows;
    } finally {
      await client.end();
    }
  }

  it('stages an event for every ride already there, and lets the API set nothing but an event’s content', async () => {
    // The schema as it was before the log, with rides in it.
    const log = MIGRATIONS.findIndex((m) => new m().name === 'UnifiedLog1732000000600');
    const before = MIGRATIONS.slice(0, log);
    const early = new DataSource({ type: 'postgres', url, migrations: before, logging: false });
    await early.initialize();
    await early.runMigrations();
    await early.destroy();
    await query([
      "INSERT INTO users (email) VALUES ('before-the-log@example.com')",
      `INSERT INTO rides (user_id, distance) SELECT id, d FROM users, (VALUES (1.5), (2.0), (0.5)) v(d)`,
    ]);
    await migrate(url);
    const events = await query([
      `SELECT type, payload->>'ride_id' AS ride, payload->>'distance' AS distance FROM log_outbox ORDER BY id`,
    ]);
    const rides = await query(['SELECT id::text AS ride, distance::text FROM rides ORDER BY id']);
    expect(events).toEqual(rides.map((r) => ({ type: 'ride.created', ...r })));
    // The API stages content; a seq of its own would break the log's order.
    await expect(
      query(
        ["INSERT INTO log_outbox (type, version, payload, seq) VALUES ('x', 1, '{}', 1)"],
        apiUrl,
      ),
    ).rejects.toThrow(/permission denied/);
    await query(["INSERT INTO log_outbox (type, version, payload) VALUES ('x', 1, '{}')"], apiUrl);
  });

  // Needs the migrated database of the test above.
  it('commits a ride only with its one ride.created event, in the form the consumers count', async () => {
    const ride = `INSERT INTO rides (user_id, distance) SELECT min(id), 4.5 FROM users`;
    // The event of the newest ride, as the API stages it, each field replaceable.
    const event = (fields: { ride_id?: string; user_id?: string; distance?: string } = {}) =>
      `INSERT INTO log_outbox (type, version, payload)
       SELECT 'ride.created', 1, jsonb_build_object(
                'ride_id', ${fields.ride_id ?? 'id'}, 'user_id', ${fields.user_id ?? 'user_id'},
                'distance', ${fields.distance ?? 'distance::text'})
         FROM rides ORDER BY id DESC LIMIT 1`;
    const rides = async () => Number((await query(['SELECT count(*)::int AS n FROM rides']))[0]!.n);
    const before = await rides();
    const refused = /ride \d+ has no ride.created event with its rider and distance \(4.5\)/;
    // The check runs at COMMIT: a ride alone fails there, for the owner as for the API's role.
    await expect(query([ride], apiUrl)).rejects.toThrow(refused);
    await expect(query([ride])).rejects.toThrow(refused);
    // So does one whose event says another distance or rider, or that the consumers would set
    // aside (an id as a string, a distance as a number).
    for (const wrong of [
      { distance: "'4.0'" },
      { user_id: 'user_id + 1' },
      { ride_id: 'id::text' },
      { distance: 'distance' },
    ])
      await expect(query(['BEGIN', ride, event(wrong), 'COMMIT'], apiUrl)).rejects.toThrow(refused);
    expect(await rides()).toBe(before);
    await query(['BEGIN', ride, event(), 'COMMIT'], apiUrl);
    expect(await rides()).toBe(before + 1);
    // One event per ride: a second would count it twice.
    await expect(query([event()], apiUrl)).rejects.toThrow(/log_outbox_ride_created/);
  });

  // Needs the migrated database of the first test.
  it('commits a ride.created event only with its ride, which the consumers read back', async () => {
    const orphan = /ride.created event \d+ has no ride with its rider and distance/;
    const event = (payload: string) =>
      `INSERT INTO log_outbox (type, version, payload) VALUES ('ride.created', 1, ${payload})`;
    for (const payload of [
      // No such ride (a ride of its own would have to commit with its one event first), and no
      // ride id that is a number.
      `jsonb_build_object('ride_id', 999999999, 'user_id', 1, 'distance', '1.0')`,
      `jsonb_build_object('ride_id', 'x', 'user_id', 1, 'distance', '1.0')`,
    ])
      await expect(query([event(payload)], apiUrl)).rejects.toThrow(orphan);
    // The newest ride's event, taken away (by the owner), may come back only as it was.
    const newest = (distance: string, user = 'user_id') =>
      event(`(SELECT jsonb_build_object('ride_id', id, 'user_id', ${user}, 'distance', ${distance})
                FROM rides ORDER BY id DESC LIMIT 1)`);
    await query([
      `DELETE FROM log_outbox WHERE type = 'ride.created'
          AND payload->>'ride_id' = (SELECT max(id)::text FROM rides)`,
    ]);
    for (const wrong of [newest("'0.1'"), newest('distance::text', 'user_id + 1')])
      await expect(query([wrong], apiUrl)).rejects.toThrow(orphan);
    await query([newest('distance::text')], apiUrl);
    // Events of other types are the consumers' to set aside (dead letters), not the database's.
    await query(["INSERT INTO log_outbox (type, version, payload) VALUES ('y', 1, '{}')"], apiUrl);
  });
});

describe('the rides-and-events migration, while rides are being written', () => {
  const { url, apiUrl } = scratchDatabase('migrate_live');

  it('waits for a ride under way, in the order writers lock (the ride, then its event): no deadlock', async () => {
    const at = MIGRATIONS.findIndex((m) => new m().name === 'RidesHaveEvents1732000001100');
    const early = new DataSource({
      type: 'postgres',
      url,
      migrations: MIGRATIONS.slice(0, at),
      logging: false,
    });
    await early.initialize();
    await early.runMigrations();
    await early.query("INSERT INTO users (email) VALUES ('live@example.com')");
    await early.destroy();
    const api = new Client({ connectionString: apiUrl });
    await api.connect();
    try {
      // A POST /rides half done: its ride inserted, its event not yet.
      await api.query('BEGIN');
      await api.query('INSERT INTO rides (user_id, distance) SELECT min(id), 2.5 FROM users');
      const migrated = migrate(url);
      // The migration is waiting on a lock (the ride's) before the ride stages its event.
      const monitor = new Client({ connectionString: url });
      await monitor.connect();
      try {
        const waiting = async () =>
          (
            await monitor.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          ).rows[0]!.n > 0;
        await waitUntil(waiting, {
          timeoutMs: 10_000,
          what: 'the migration to wait on a lock',
          intervalMs: 50,
        });
      } finally {
        await monitor.end();
      }
      await api.query(
        `INSERT INTO log_outbox (type, version, payload)
         SELECT 'ride.created', 1, jsonb_build_object('ride_id', id, 'user_id', user_id, 'distance', distance::text)
           FROM rides`,
      );
      await api.query('COMMIT');
      await expect(migrated).resolves.toEqual([
        'RidesHaveEvents1732000001100',
        'EventsHaveRides1732000001200',
      ]);
    } finally {
      await api.end();
    }
  });
});
