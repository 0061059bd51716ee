import { patroniEvent } from './patroni.events';

describe('patroniEvent', () => {
  it('turns the lines that matter into short sentences', () => {
    expect(
      patroniEvent(
        '2026-11-23 18:04:24,771 INFO: promoted self to leader by acquiring session lock',
      ),
    ).toBe('promoted to leader');
    expect(patroniEvent('2026-11-23 18:04:31,750 INFO: running pg_rewind from pg2')).toBe(
      'rewinding from pg2 (pg_rewind)',
    );
    expect(patroniEvent('2026-11-23 18:04:33,970 INFO: pg_rewind exit code=0')).toBe(
      'pg_rewind exited with code 0',
    );
    expect(
      patroniEvent('2026-11-23 18:03:49,001 INFO: replica has been created using basebackup'),
    ).toBe('cloned from the leader (basebackup)');
    expect(patroniEvent('2026-11-23 18:04:36,360 INFO: Demoting self (graceful)')).toBe(
      'demoting itself (graceful)',
    );
    expect(patroniEvent('2026-11-23 18:04:36,360 ERROR: post_bootstrap')).toBe(
      'error: post_bootstrap',
    );
  });

  it('leaves the routine and the transient in the log file', () => {
    expect(
      patroniEvent(
        '2026-11-23 18:00:47,054 INFO: no action. I am (pg1), a secondary, and following a leader (pg0)',
      ),
    ).toBeUndefined();
    expect(
      patroniEvent('2026-11-23 18:00:03.101 UTC ERROR:  replication slot "pg2" does not exist'),
    ).toBeUndefined();
    expect(
      patroniEvent(
        '2026-11-23 18:04:22,620 INFO: running pg_rewind from dbname=postgres user=rocket host=127.0.0.1',
      ),
    ).toBeUndefined();
  });
});
