import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The table the observer writes and every router reads. Add this migration to
 * your application's list (`migrations: [CreateReplicaStatuses1732000000000, ...]`).
 */
export class CreateReplicaStatuses1732000000000 implements MigrationInterface {
  name = 'CreateReplicaStatuses1732000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE replica_statuses (
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
    await queryRunner.query('DROP TABLE replica_statuses');
  }
}
