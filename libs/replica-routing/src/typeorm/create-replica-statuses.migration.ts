import type { MigrationInterface, QueryRunner } from 'typeorm';
import { statusTableSql } from '../replica-status.table';

/**
 * The status table the observer writes and every router reads, as a TypeORM
 * migration class. Use {@link replicaStatusesMigrations}, which adds the later
 * columns too. Give the same `table` as the modules' `statusTable` option (a
 * plain lower-case identifier).
 */
export function replicaStatusesMigration(table = 'replica_statuses'): new () => MigrationInterface {
  const [create] = statusTableSql(table, 'replicaStatusesMigration');
  return class CreateReplicaStatuses implements MigrationInterface {
    name = 'CreateReplicaStatuses1732000000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(create);
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
  const [, lagSeconds] = statusTableSql(table, 'replicaStatusesLagSecondsMigration');
  return class AddReplicaStatusLagSeconds implements MigrationInterface {
    name = 'AddReplicaStatusLagSeconds1732000000010';

    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(lagSeconds);
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
