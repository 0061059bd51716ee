// No `@app/config` import (only a type): tools/bin/start.ts runs without tsconfig-paths.
import type { PostgresAddress } from '@app/config';

/** A role's login. */
export type Login = Pick<PostgresAddress, 'user' | 'password'>;

/** Who connects to a local cluster, and to which database. */
export type Credentials = Login & Pick<PostgresAddress, 'database'>;

/**
 * The logins a cluster is created with besides its superuser, one per kind of
 * process (postgres/roles.sql says what each may do): the owner of the schema
 * runs the migrations, the API and the observer connect as theirs, replicas
 * stream as the replication role.
 */
export interface ClusterRoles {
  owner: Login;
  api: Login;
  observer: Login;
  /** The unified log's streamer and consumers. */
  log: Login;
  replication: Login;
}

/**
 * The superuser and database of the local clusters (`npm run cluster`, and the
 * e2e suite's, bench's, chaos's and test:ui's): rocket / rocket / rocket_rides.
 * Cluster administration only (creating it, pausing replay, stopping
 * backends): no app connects as it.
 */
export const LOCAL_CREDENTIALS: Readonly<Credentials> = {
  user: 'rocket',
  password: 'rocket',
  database: 'rocket_rides',
};

/**
 * The local clusters' app roles, with development passwords. `npm start` and
 * the test and bench tools take them from here; an app started by hand is
 * given its role's login (`POSTGRES_USER`, `POSTGRES_PASSWORD`: `.env` names
 * the superuser there, for the launchers; docs/operations.md).
 */
export const LOCAL_ROLES: Readonly<ClusterRoles> = {
  owner: { user: 'rocket_owner', password: 'rocket_owner' },
  api: { user: 'rocket_api', password: 'rocket_api' },
  observer: { user: 'rocket_observer', password: 'rocket_observer' },
  log: { user: 'rocket_log', password: 'rocket_log' },
  replication: { user: 'replicator', password: 'replicator' },
};
