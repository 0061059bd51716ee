import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The other half of 1732000001100: every new `ride.created` event has its
 * ride, committed with it or before it, with the same rider and distance. An
 * event without one (a script, a code path other than `stageRideCreated`)
 * would stop every consumer for good: each reads the ride back before it
 * counts the event, finds it missing or different, and takes that for a
 * stale read it waits out. A deferred constraint trigger checks it at commit
 * (23514), as the rides' does; events already in the outbox are not checked.
 */
export class EventsHaveRides1732000001200 implements MigrationInterface {
  name = 'EventsHaveRides1732000001200';

  async up(queryRunner: QueryRunner): Promise<void> {
    const [where] = (await queryRunner.query('SELECT quote_ident(current_schema()) AS schema')) as {
      schema: string;
    }[];
    // The ride id must be a JSON number of a bigint's digits before it is cast (in a statement of
    // its own: nothing else then fails with another error than the constraint's).
    await queryRunner.query(`
      CREATE FUNCTION event_has_ride() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = ${where!.schema}, pg_temp AS $$
      DECLARE
        found boolean := false;
      BEGIN
        IF NEW.version = 1 AND jsonb_typeof(NEW.payload->'ride_id') = 'number'
           AND NEW.payload->>'ride_id' ~ '^[0-9]{1,18}$' THEN
          found := EXISTS (
            SELECT 1 FROM rides r
             WHERE r.id = (NEW.payload->>'ride_id')::bigint
               AND NEW.payload @> jsonb_build_object(
                     'ride_id', r.id, 'user_id', r.user_id, 'distance', r.distance::text));
        END IF;
        IF NOT found THEN
          RAISE EXCEPTION 'ride.created event % has no ride with its rider and distance (%)', NEW.id, NEW.payload
            USING ERRCODE = 'check_violation', CONSTRAINT = 'events_have_rides',
                  HINT = 'Stage it in the ride''s transaction (stageRideCreated): the consumers read the ride back before they count it.';
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query('REVOKE EXECUTE ON FUNCTION event_has_ride() FROM PUBLIC');
    await queryRunner.query(`
      CREATE CONSTRAINT TRIGGER events_have_rides AFTER INSERT ON log_outbox
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.type = 'ride.created')
        EXECUTE FUNCTION event_has_ride()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER events_have_rides ON log_outbox');
    await queryRunner.query('DROP FUNCTION event_has_ride()');
  }
}
