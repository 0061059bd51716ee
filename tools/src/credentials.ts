import { DatabaseConfig, type PostgresAddress } from '@app/config';

/** Who connects to a local cluster, and to which database. */
export type Credentials = Pick<PostgresAddress, 'user' | 'password' | 'database'>;

const defaults = new DatabaseConfig();

/**
 * The account and database of the private clusters (the e2e suite's, bench's
 * and chaos's): rocket / rocket / rocket_rides. They are `DatabaseConfig`'s
 * defaults, which `npm run cluster` and the apps use too unless POSTGRES_* say otherwise.
 */
export const LOCAL_CREDENTIALS: Readonly<Credentials> = {
  user: defaults.POSTGRES_USER,
  password: defaults.POSTGRES_PASSWORD,
  database: defaults.POSTGRES_DB,
};
