/** `npm run migrate`: applies pending migrations to the primary (DATABASE_URL or the POSTGRES_* variables). */
import 'reflect-metadata';
import { DatabaseConfig, loadEnv, migrate, validateConfig } from '@app/common';

loadEnv();
migrate(validateConfig(DatabaseConfig).primaryUrl(), (line) =>
  console.log(`migrate | ${line}`),
).catch((error: unknown) => {
  console.error(`migrate | failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
