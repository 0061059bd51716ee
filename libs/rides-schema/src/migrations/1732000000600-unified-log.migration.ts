import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The unified log (docs/design.md, "The unified log"): an outbox the API
 * stages events in, in the ride's own transaction; a gapless `seq` the
 * streamer assigns to committed events (`log_sequence` holds the last one,
 * so that it survives retention); the consumers' state; dead letters.
 * The API may only add events; the log's role (rides_log) does the rest.
 */
export class UnifiedLog1732000000600 implements MigrationInterface {
  name = 'UnifiedLog1732000000600';

  async up(queryRunner: QueryRunner): Promise<void> {
    const [role] = (await queryRunner.query(
      "SELECT to_regrole('rides_log') IS NOT NULL AS ok",
    )) as { ok: boolean }[];
    if (!role?.ok)
      throw new Error(
        'The role rides_log does not exist. A superuser creates it with postgres/roles.sql on a new ' +
          'cluster; on an existing one run: CREATE ROLE rides_log NOLOGIN; GRANT pg_read_all_stats TO ' +
          'rides_log; GRANT CONNECT ON DATABASE <db> TO rides_log; and a login IN ROLE rides_log ' +
          '(docs/operations.md#database-roles).',
      );
    await queryRunner.query(`
      CREATE TABLE log_outbox (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id     uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
        type         text NOT NULL,
        version      integer NOT NULL,
        occurred_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
        payload      jsonb NOT NULL,
        seq          bigint UNIQUE,
        token        text,
        published_at timestamptz
      )`);
    // What the streamer looks for: committed events without a seq, then sequenced ones not yet published.
    await queryRunner.query(
      'CREATE INDEX log_outbox_unsequenced ON log_outbox (id) WHERE seq IS NULL',
    );
    await queryRunner.query(
      'CREATE INDEX log_outbox_unpublished ON log_outbox (seq) WHERE seq IS NOT NULL AND published_at IS NULL',
    );
    await queryRunner.query(`
      CREATE TABLE log_sequence (
        one      boolean PRIMARY KEY DEFAULT true CHECK (one),
        last_seq bigint NOT NULL DEFAULT 0
      )`);
    await queryRunner.query('INSERT INTO log_sequence DEFAULT VALUES');
    await queryRunner.query(`
      CREATE TABLE consumer_states (
        name           text PRIMARY KEY,
        total_distance numeric NOT NULL,
        rides_counted  bigint NOT NULL,
        last_seq       bigint NOT NULL,
        updated_at     timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE log_dead_letters (
        consumer   text NOT NULL,
        seq        bigint NOT NULL,
        reason     text NOT NULL,
        fields     jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, seq)
      )`);
    // Rides from before the log get their events now, in id order, so the consumers' totals start
    // from every ride there is. Inserts wait until this commits; an API of the code before the log
    // still running after it would add rides without events: stop those first (docs/operations.md).
    await queryRunner.query('LOCK TABLE rides IN SHARE MODE');
    await queryRunner.query(`
      INSERT INTO log_outbox (type, version, payload, occurred_at)
      SELECT 'ride.created', 1,
             jsonb_build_object('ride_id', id, 'user_id', user_id, 'distance', distance::text),
             created_at
        FROM rides ORDER BY id`);
    const log = 'log_outbox, log_sequence, consumer_states, log_dead_letters';
    // The API's default privileges cover every new table: it gets only INSERT on the outbox.
    await queryRunner.query(`REVOKE ALL ON ${log} FROM rides_api`);
    await queryRunner.query('GRANT INSERT ON log_outbox TO rides_api');
    await queryRunner.query('GRANT SELECT, UPDATE, DELETE ON log_outbox TO rides_log');
    await queryRunner.query('GRANT SELECT, UPDATE ON log_sequence TO rides_log');
    await queryRunner.query(
      'GRANT SELECT, INSERT, UPDATE ON consumer_states, log_dead_letters TO rides_log',
    );
    // The consumers read rides back (through the routing library, which reads the status table).
    await queryRunner.query('GRANT SELECT ON rides, replica_statuses TO rides_log');
    // The dashboard's log panel: the backlog as a view (not the events), and the consumers' state.
    await queryRunner.query(`
      CREATE VIEW log_backlog AS
        SELECT count(*) FILTER (WHERE published_at IS NULL) AS events,
               coalesce(extract(epoch FROM now() - min(occurred_at) FILTER (WHERE published_at IS NULL)), 0)::float8 AS oldest_s,
               (SELECT last_seq FROM log_sequence) AS last_seq
          FROM log_outbox`);
    await queryRunner.query('GRANT SELECT ON log_backlog, consumer_states TO rides_api');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP VIEW log_backlog');
    await queryRunner.query('REVOKE SELECT ON rides, replica_statuses FROM rides_log');
    await queryRunner.query(
      'DROP TABLE log_dead_letters, consumer_states, log_sequence, log_outbox',
    );
  }
}
