import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The status table the observer writes and every router reads, as a TypeORM
 * migration class. Use {@link replicaStatusesMigrations}, which adds the later
 * columns too. Give the same `table` as the modules' `statusTable` option (a
 * plain lower-case identifier).
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

/** Adds `lag_seconds` (observer, from the replay timestamp) to a status table made by {@link replicaStatusesMigration}. */
export function replicaStatusesLagSecondsMigration(
  table = 'replica_statuses',
): new () => MigrationInterface {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table))
    throw new Error(
      'replicaStatusesLagSecondsMigration: table must be a plain lower-case SQL identifier',
    );
  return class AddReplicaStatusLagSeconds implements MigrationInterface {
    name = 'AddReplicaStatusLagSeconds1732000000010';

    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(
        `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS lag_seconds double precision`,
      );
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`ALTER TABLE ${table} DROP COLUMN IF EXISTS lag_seconds`);
    }
  };
}

/**
 * Every migration of the status table, in order: put them in your
 * application's list (`migrations: [...replicaStatusesMigrations(), ...]`).
 */
export function replicaStatusesMigrations(
  table = 'replica_statuses',
): (new () => MigrationInterface)[] {
  return [replicaStatusesMigration(table), replicaStatusesLagSecondsMigration(table)];
}

/** The status table under its default name, `replica_statuses` (then {@link AddReplicaStatusLagSeconds1732000000010}). */
export const CreateReplicaStatuses1732000000000 = replicaStatusesMigration();

/** `lag_seconds` on the default status table. */
export const AddReplicaStatusLagSeconds1732000000010 = replicaStatusesLagSecondsMigration();
