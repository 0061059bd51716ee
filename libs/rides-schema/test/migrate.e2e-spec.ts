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
