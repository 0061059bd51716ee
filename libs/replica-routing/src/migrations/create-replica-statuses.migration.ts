import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The status table the observer writes and every router reads, as a TypeORM
 * migration class for your application's list:
 * `migrations: [replicaStatusesMigration(), ...]`. Give the same `table` as the
 * modules' `statusTable` option (a plain lower-case identifier).
 */
export function replicaStatusesMigration(table = 'replica_statuses'): new () => MigrationInterface {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table))
    throw new Error('replicaStatusesMigration: table must be a plain lower-case SQL identifier');
  return class CreateReplicaStatuses implements MigrationInterface {
    name = 'CreateReplicaStatuses1732000000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${table} (
          name        text PRIMARY KEY,
          role        text NOT NULL CHECK (role IN ('primary', 'replica')),
          last_lsn    pg_lsn,
          observed_at timestamptz NOT NULL,
          reachable   boolean NOT NULL,
          lag_bytes   bigint,
          last_error  text
        )`);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  };
}

/** The status table under its default name, `replica_statuses`. */
export const CreateReplicaStatuses1732000000000 = replicaStatusesMigration();
