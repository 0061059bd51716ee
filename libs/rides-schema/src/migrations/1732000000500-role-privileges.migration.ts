import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The group roles of postgres/roles.sql, whose logins the API and the observer use. */
const API_ROLE = 'rides_api';
const OBSERVER_ROLE = 'rides_observer';
const APP_TABLES = 'users, rides, idempotency_keys, api_keys';

/**
 * What the API's and the observer's roles may do with the tables, granted by
 * the owner that runs the migrations (the roles themselves are a superuser's
 * job: postgres/roles.sql). The API reads and writes the app's tables, these
 * and every later one (default privileges), and only reads `replica_statuses`;
 * the observer writes `replica_statuses` and nothing else. TypeORM's
 * `migrations` table stays the owner's. A later migration that creates a table
 * the API must not write revokes that here too.
 */
export class RolePrivileges1732000000500 implements MigrationInterface {
  name = 'RolePrivileges1732000000500';

  async up(queryRunner: QueryRunner): Promise<void> {
    const missing = (await queryRunner.query(
      'SELECT r AS name FROM unnest($1::text[]) r WHERE to_regrole(r) IS NULL',
      [[API_ROLE, OBSERVER_ROLE]],
    )) as { name: string }[];
    if (missing.length > 0) {
      throw new Error(
        `The roles ${missing.map((r) => r.name).join(' and ')} do not exist. A superuser creates them ` +
          'with postgres/roles.sql (the launcher and compose do it when they create a cluster); ' +
          'see docs/operations.md#database-roles.',
      );
    }
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${APP_TABLES} TO ${API_ROLE}`);
    await queryRunner.query(`GRANT SELECT ON replica_statuses TO ${API_ROLE}`);
    await queryRunner.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON replica_statuses TO ${OBSERVER_ROLE}`,
    );
    // For the tables and sequences later migrations create (as this same role).
    await queryRunner.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${API_ROLE}`,
    );
    await queryRunner.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${API_ROLE}`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM ${API_ROLE}`,
    );
    await queryRunner.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM ${API_ROLE}`,
    );
    await queryRunner.query(`REVOKE ALL ON replica_statuses FROM ${API_ROLE}, ${OBSERVER_ROLE}`);
    await queryRunner.query(`REVOKE ALL ON ${APP_TABLES} FROM ${API_ROLE}`);
  }
}
