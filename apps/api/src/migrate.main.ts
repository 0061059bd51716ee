/**
 * Applies the schema's migrations to the primary and exits: the compose stack's
 * one-shot `migrate` service (`node dist/apps/api/apps/api/src/migrate.main.js`).
 * Natively, `npm run migrate` does the same.
 */
import 'reflect-metadata';
import { DatabaseConfig, loadEnv, validateConfig } from '@app/config';
import { migrate } from '@app/rides-schema';

loadEnv();
migrate(validateConfig(DatabaseConfig).primaryUrl(), (line) =>
  console.log(`migrate | ${line}`),
).catch((error: unknown) => {
  console.error(`migrate | failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
