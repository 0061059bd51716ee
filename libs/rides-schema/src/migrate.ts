import { DataSource } from 'typeorm';
import { MIGRATIONS } from './schema';

/** Any fixed 64-bit key: the one advisory lock every migration run of this schema takes. */
const MIGRATION_LOCK = 7_301_732_000;

/**
 * Applies pending migrations to the primary. Runs one at a time across
 * processes: each run holds a session advisory lock while it migrates, so a
 * second run started at the same moment waits, then finds nothing to do
 * (without it, both try to create TypeORM's migrations table and one fails).
 */
export async function migrate(
  url: string,
  log: (line: string) => void = () => undefined,
): Promise<string[]> {
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
    logging: false,
  });
  await dataSource.initialize();
  const lock = dataSource.createQueryRunner('master');
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await dataSource.runMigrations();
    const names = applied.map((m) => m.name);
    log(names.length ? `applied ${names.join(', ')}` : 'schema up to date');
    return names;
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lock.release();
    await dataSource.destroy();
  }
}
