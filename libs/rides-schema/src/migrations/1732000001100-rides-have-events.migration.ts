import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every ride has its `ride.created` event, staged in its own transaction, in
 * the form the consumers count: the database holds every writer to it, not
 * only the API's code (libs/rides-log, `stageRideCreated`). A ride committed
 * without its event (a script, an API of the code before the log), or with
 * one the consumers set aside as unusable, would leave their totals short of
 * `sum(distance)` for good; a second event would count it twice.
 * - A deferred constraint trigger checks, at commit, that each new ride's
 *   event is there: version 1, its ride id, rider and distance, with the JSON
 *   types the consumers read. Else the commit fails (23514). It runs as its
 *   owner: the API may only add events, not read them.
 * - A unique index allows one `ride.created` event per ride among those the
 *   outbox holds, and finds it.
 */
export class RidesHaveEvents1732000001100 implements MigrationInterface {
  name = 'RidesHaveEvents1732000001100';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Rides first, as every writer takes them (the ride, then its event): the index build below
    // holds the outbox, and a ride inserted meanwhile would wait on it while this waited on rides.
    await queryRunner.query('LOCK TABLE rides IN SHARE ROW EXCLUSIVE MODE');
    await queryRunner.query(
      `CREATE UNIQUE INDEX log_outbox_ride_created ON log_outbox ((payload->>'ride_id'))
         WHERE type = 'ride.created'`,
    );
    const [where] = (await queryRunner.query('SELECT quote_ident(current_schema()) AS schema')) as {
      schema: string;
    }[];
    // A function that runs as its owner searches only this schema, then pg_temp (last, as
    // PostgreSQL's docs advise for SECURITY DEFINER). Containment compares JSON types too: a ride
    // id as a string, or a distance as a number, is not the event the consumers count.
    await queryRunner.query(`
      CREATE FUNCTION ride_has_event() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = ${where!.schema}, pg_temp AS $$
      BEGIN
        IF NOT EXISTS (
          SELECT 1 FROM log_outbox
           WHERE type = 'ride.created'
             AND payload->>'ride_id' = NEW.id::text
             AND version = 1
             AND payload @> jsonb_build_object(
                   'ride_id', NEW.id, 'user_id', NEW.user_id, 'distance', NEW.distance::text)) THEN
          RAISE EXCEPTION 'ride % has no ride.created event with its rider and distance (%) in log_outbox', NEW.id, NEW.distance
            USING ERRCODE = 'check_violation', CONSTRAINT = 'rides_have_events',
                  HINT = 'Stage it in the ride''s transaction: the unified log''s consumers count rides from their events.';
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query('REVOKE EXECUTE ON FUNCTION ride_has_event() FROM PUBLIC');
    await queryRunner.query(`
      CREATE CONSTRAINT TRIGGER rides_have_events AFTER INSERT ON rides
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ride_has_event()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER rides_have_events ON rides');
    await queryRunner.query('DROP FUNCTION ride_has_event()');
    await queryRunner.query('DROP INDEX log_outbox_ride_created');
  }
}
