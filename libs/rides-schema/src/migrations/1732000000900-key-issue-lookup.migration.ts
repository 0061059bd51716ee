import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A sign-up with an Idempotency-Key first asks whether that key already
 * issued an API key for another request (a sign-up of another email, a
 * rotation): that is a 422, as on `POST /rides`. An index on `issued_for`
 * (only the keys issued with one) answers it without a scan.
 */
export class KeyIssueLookup1732000000900 implements MigrationInterface {
  name = 'KeyIssueLookup1732000000900';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE INDEX api_keys_issued_for ON api_keys (issued_for) WHERE issued_for IS NOT NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX api_keys_issued_for');
  }
}
