/**
 * Applies the schema's migrations to the primary and exits: the compose stack's
 * one-shot `migrate` service (`node dist/apps/api/apps/api/src/migrate.main.js`).
 * Natively, `npm run migrate` does the same.
 */
import 'reflect-metadata';
import { DatabaseConfig, loadEnv, messageOf, validateConfig } from '@app/config';
import { findPrimary } from '@app/replica-routing';
import { migrate } from '@app/rides-schema';

const say = (line: string) => console.log(`migrate | ${line}`);

/** DATABASE_URL, or with DATABASE_HOSTS whichever host is the primary (waiting out an election). */
async function primaryUrl(config: DatabaseConfig): Promise<string> {
  const hosts = config.hosts();
  if (hosts.length === 0) return config.primaryUrl();
  const primary = await findPrimary(hosts, { waitMs: config.ELECTION_WAIT_MS });
  say(`the primary is ${primary.name}`);
  return primary.url;
}

loadEnv();
const config = validateConfig(DatabaseConfig);
primaryUrl(config)
  .then((url) => migrate(url, say))
  .catch((error: unknown) => {
    console.error(`migrate | failed: ${messageOf(error)}`);
    process.exit(1);
  });
