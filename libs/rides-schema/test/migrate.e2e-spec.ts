import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { e2eEnv, sql, urlAs } from '../../../test/e2e/cluster.control';
import { migrate, MIGRATIONS } from '../src';

describe('migrate', () => {
  const env = e2eEnv();
  const database = `migrate_race_${process.pid}`;
  // As the owner role, in a database of its own (as the app's database is).
  const owner = env.roles.owner.user.replace(/"/g, '""');
  const url = urlAs(env.primaryUrl, env.roles.owner).replace(/\/[^/]+$/, `/${database}`);

  beforeAll(() => sql('primary', `CREATE DATABASE ${database} OWNER "${owner}"`));
  afterAll(() => sql('primary', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));

  it('two runs at once both succeed, and the migrations are applied once', async () => {
    const [first, second] = await Promise.all([migrate(url), migrate(url)]);
    expect([...first, ...second].sort()).toEqual(
      MIGRATIONS.map((m) => new m().name as string).sort(),
    );
    await expect(migrate(url)).resolves.toEqual([]);
  });
});

describe('the unified log’s migrations, on a database that already has rides', () => {
  const env = e2eEnv();
  const database = `migrate_backfill_${process.pid}`;
  const owner = env.roles.owner.user.replace(/"/g, '""');
  const url = urlAs(env.primaryUrl, env.roles.owner).replace(/\/[^/]+$/, `/${database}`);
  const apiUrl = urlAs(env.primaryUrl, env.roles.api).replace(/\/[^/]+$/, `/${database}`);

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

  beforeAll(async () => {
    await sql('primary', `CREATE DATABASE ${database} OWNER "${owner}"`);
    await sql('primary', `GRANT CONNECT ON DATABASE ${database} TO rides_api, rides_log`);
  });
  afterAll(() => sql('primary', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));

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
  it('commits a ride only with its one ride.created event saying its distance', async () => {
    const ride = (distance: string) =>
      `INSERT INTO rides (user_id, distance) SELECT min(id), ${distance} FROM users`;
    const event = (distance: string, ride = 'max(id)') =>
      `INSERT INTO log_outbox (type, version, payload)
       SELECT 'ride.created', 1, jsonb_build_object('ride_id', ${ride}, 'distance', '${distance}') FROM rides`;
    const rides = async () => Number((await query(['SELECT count(*)::int AS n FROM rides']))[0]!.n);
    const before = await rides();
    // The check runs at COMMIT: a ride alone, or whose event says another distance, fails there.
    await expect(query([ride('4.5')], apiUrl)).rejects.toThrow(
      /ride \d+ has no ride.created event with its distance \(4.5\) in log_outbox/,
    );
    await expect(query(['BEGIN', ride('4.5'), event('4.0'), 'COMMIT'], apiUrl)).rejects.toThrow(
      /has no ride.created event with its distance/,
    );
    // Not the API's role alone: the owner's writes are held to it too.
    await expect(query([ride('4.5')])).rejects.toThrow(/has no ride.created event/);
    expect(await rides()).toBe(before);
    await query(['BEGIN', ride('4.5'), event('4.5'), 'COMMIT'], apiUrl);
    expect(await rides()).toBe(before + 1);
    // One event per ride: a second would count it twice.
    await expect(query([event('4.5')], apiUrl)).rejects.toThrow(/log_outbox_ride_created/);
  });
});
