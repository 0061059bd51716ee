import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys get a table of their own, so that a rider can hold a new key and
 * have an old one revoked (`revoked_at`). Existing keys move over as they are.
 */
export class ApiKeys1732000000400 implements MigrationInterface {
  name = 'ApiKeys1732000000400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id    bigint NOT NULL REFERENCES users (id),
        key_hash   text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await queryRunner.query('CREATE INDEX api_keys_user_id_idx ON api_keys (user_id)');
    await queryRunner.query(
      'INSERT INTO api_keys (user_id, key_hash, created_at) SELECT id, api_key_hash, created_at FROM users',
    );
    await queryRunner.query('ALTER TABLE users DROP COLUMN api_key_hash');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE users ADD COLUMN api_key_hash text UNIQUE');
    await queryRunner.query(
      `UPDATE users u SET api_key_hash = k.key_hash FROM (
         SELECT DISTINCT ON (user_id) user_id, key_hash FROM api_keys
          WHERE revoked_at IS NULL ORDER BY user_id, id DESC) k
        WHERE k.user_id = u.id`,
    );
    await queryRunner.query('DROP TABLE api_keys');
  }
}
