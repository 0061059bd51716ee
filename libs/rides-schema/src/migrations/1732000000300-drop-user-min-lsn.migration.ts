import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `users.min_lsn` (the position of a user's last write) cost every POST /rides
 * a second commit. A request without a token now takes the primary's position
 * when it authenticates there, which covers the same writes.
 */
export class DropUserMinLsn1732000000300 implements MigrationInterface {
  name = 'DropUserMinLsn1732000000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE users DROP COLUMN IF EXISTS min_lsn');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "ALTER TABLE users ADD COLUMN IF NOT EXISTS min_lsn pg_lsn NOT NULL DEFAULT '0/0'",
    );
  }
}
