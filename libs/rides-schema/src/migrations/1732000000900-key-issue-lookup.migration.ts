import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A sign-up with an Idempotency-Key first asks whether that key already
 * served another request (issued a key for a sign-up of another email, or
 * revoked one in a rotation): that is a 422, as on `POST /rides`. Indexes on
 * `issued_for` and `revoked_for` (only the keys that have one) answer it
 * without a scan.
 */
export class KeyIssueLookup1732000000900 implements MigrationInterface {
  name = 'KeyIssueLookup1732000000900';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['issued_for', 'revoked_for'])
      await queryRunner.query(
        `CREATE INDEX api_keys_${column} ON api_keys (${column}) WHERE ${column} IS NOT NULL`,
      );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX api_keys_revoked_for, api_keys_issued_for');
  }
}
