import { DataSource } from 'typeorm';
import { MIGRATIONS } from './schema';

/**
 * Applies pending migrations to the primary. Safe to run concurrently: TypeORM
 * takes the migrations table lock, so a second runner waits and finds nothing to do.
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
  try {
    const applied = await dataSource.runMigrations();
    const names = applied.map((m) => m.name);
    log(names.length ? `applied ${names.join(', ')}` : 'schema up to date');
    return names;
  } finally {
    await dataSource.destroy();
  }
}
