import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Keys of POST /rides retries: one row per (user, key), written in the ride's own transaction. */
export class IdempotencyKeys1732000000200 implements MigrationInterface {
  name = 'IdempotencyKeys1732000000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        user_id      bigint NOT NULL REFERENCES users (id),
        key          text NOT NULL,
        request_hash text NOT NULL,
        ride_id      bigint REFERENCES rides (id),
        created_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
      )`);
    await queryRunner.query(
      'CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE idempotency_keys');
  }
}
