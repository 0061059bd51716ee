import { e2eEnv, sql } from '../../../test/e2e/cluster.control';
import { migrate, MIGRATIONS } from '../src';

describe('migrate', () => {
  const database = `migrate_race_${process.pid}`;
  const url = e2eEnv().primaryUrl.replace(/\/[^/]+$/, `/${database}`);

  beforeAll(() => sql('primary', `CREATE DATABASE ${database}`));
  afterAll(() => sql('primary', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));

  it('two runs at once both succeed, and the migrations are applied once', async () => {
    const [first, second] = await Promise.all([migrate(url), migrate(url)]);
    expect([...first, ...second].sort()).toEqual(
      MIGRATIONS.map((m) => new m().name as string).sort(),
    );
    await expect(migrate(url)).resolves.toEqual([]);
  });
});
