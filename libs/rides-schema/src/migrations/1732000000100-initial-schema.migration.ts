import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1732000000100 implements MigrationInterface {
  name = 'InitialSchema1732000000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE users (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        email        text NOT NULL CHECK (length(email) <= 254),
        api_key_hash text NOT NULL UNIQUE,
        min_lsn      pg_lsn NOT NULL DEFAULT '0/0',
        created_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query('CREATE UNIQUE INDEX users_email_key ON users (lower(email))');
    await queryRunner.query(`
      CREATE TABLE rides (
        id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id    bigint NOT NULL REFERENCES users (id),
        distance   numeric(9, 1) NOT NULL CHECK (distance >= 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query('CREATE INDEX rides_user_id_id_idx ON rides (user_id, id DESC)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE rides');
    await queryRunner.query('DROP TABLE users');
  }
}
