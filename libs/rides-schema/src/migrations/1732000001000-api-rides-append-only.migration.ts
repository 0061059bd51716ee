import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The API only ever adds rides: it neither changes nor deletes one, and
 * neither may its role. The unified log's consumers keep the total distance
 * of all rides from the rides' events; a ride changed or deleted in place
 * would make `sum(distance)` and their totals differ for good. Nor does it
 * delete riders or keys. It keeps UPDATE on `users` (issuing a key locks the
 * rider's row, `FOR NO KEY UPDATE`, which needs it) and on `api_keys`
 * (rotations revoke keys).
 */
export class ApiRidesAppendOnly1732000001000 implements MigrationInterface {
  name = 'ApiRidesAppendOnly1732000001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('REVOKE UPDATE, DELETE ON rides FROM rides_api');
    await queryRunner.query('REVOKE DELETE ON users, api_keys FROM rides_api');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('GRANT DELETE ON users, api_keys TO rides_api');
    await queryRunner.query('GRANT UPDATE, DELETE ON rides TO rides_api');
  }
}
