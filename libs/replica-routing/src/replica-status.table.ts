/** A status table's name: a plain lower-case SQL identifier (it is written into statements as it is). */
export function isStatusTableName(table: string): boolean {
  return /^[a-z_][a-z0-9_]{0,62}$/.test(table);
}

/**
 * The statements that make the status table the observer writes and every
 * router reads, in order, under `table` (the `statusTable` option): an app
 * without TypeORM runs them itself; the `/typeorm` migrations run one each.
 */
export function replicaStatusesSql(
  table = 'replica_statuses',
): [create: string, lagSeconds: string] {
  return statusTableSql(table, 'replicaStatusesSql');
}

/**
 * {@link replicaStatusesSql}, refusing a bad `table` in the name of
 * `caller`, the public function it was given to (the migrations too).
 */
export function statusTableSql(
  table: string,
  caller: string,
): [create: string, lagSeconds: string] {
  if (!isStatusTableName(table))
    throw new Error(`${caller}: table must be a plain lower-case SQL identifier`);
  return [
    `CREATE TABLE ${table} (
       name        text PRIMARY KEY,
       role        text NOT NULL CHECK (role IN ('primary', 'replica')),
       last_lsn    pg_lsn,
       observed_at timestamptz NOT NULL,
       reachable   boolean NOT NULL,
       lag_bytes   bigint,
       last_error  text
     )`,
    `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS lag_seconds double precision`,
  ];
}
