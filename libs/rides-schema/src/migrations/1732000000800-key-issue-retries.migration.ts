import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A sign-up or a rotation whose response was lost (its commit outcome
 * unknown to the client) can be retried with its Idempotency-Key: another
 * key is issued, instead of a 409 (the email is taken) or a 401 (the old key
 * is revoked) that would lock the rider out.
 * Each key remembers the request that issued it (`issued_for`) and the
 * rotation that revoked it (`revoked_for`): SHA-256 hashes of those
 * requests' Idempotency-Keys, never the keys.
 */
export class KeyIssueRetries1732000000800 implements MigrationInterface {
  name = 'KeyIssueRetries1732000000800';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE api_keys ADD COLUMN issued_for text');
    await queryRunner.query('ALTER TABLE api_keys ADD COLUMN revoked_for text');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE api_keys DROP COLUMN revoked_for');
    await queryRunner.query('ALTER TABLE api_keys DROP COLUMN issued_for');
  }
}
