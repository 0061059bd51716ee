import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox, hardened. The API may add an event's type, version and payload
 * and nothing else: a `seq`, `token` or `published_at` of its own would break
 * the log's order (a duplicate seq stops every claim). And an index on
 * `published_at` for the streamer's retention and backlog, which scanned the
 * whole outbox on every maintenance.
 */
export class LogOutboxHardening1732000000700 implements MigrationInterface {
  name = 'LogOutboxHardening1732000000700';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('REVOKE INSERT ON log_outbox FROM rides_api');
    await queryRunner.query('GRANT INSERT (type, version, payload) ON log_outbox TO rides_api');
    await queryRunner.query('CREATE INDEX log_outbox_published_at ON log_outbox (published_at)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX log_outbox_published_at');
    await queryRunner.query('REVOKE INSERT (type, version, payload) ON log_outbox FROM rides_api');
    await queryRunner.query('GRANT INSERT ON log_outbox TO rides_api');
  }
}
