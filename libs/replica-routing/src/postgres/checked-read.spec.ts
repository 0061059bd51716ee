import { checkedRead } from './checked-read';
import type { PgConnection } from './pg-connection';
import { replayOfRows, REPLAY_POSITION_SQL } from './wal.queries';

/**
 * A connection whose position queries answer, in turn, `answers` (packed
 * `lsn|tli|started|pid`), as a transaction-mode pooler may when it runs the
 * check and the snapshot's transaction on different servers; every other
 * statement answers nothing.
 */
function connection(answers: string[]): PgConnection {
  return {
    query: (sql: string) =>
      Promise.resolve(
        sql === REPLAY_POSITION_SQL ? { rows: [{ replay: answers.shift() }] } : { rows: [] },
      ),
  } as unknown as PgConnection;
}

/** A covered checked read of token 0/400 on timeline `tli`, its position queries answering `answers`. */
function read(answers: string[], tli = 1, interpret = replayOfRows) {
  return checkedRead({
    connection: connection(answers),
    token: 0x400n,
    tli,
    interpret,
    work: () => Promise.resolve('rows'),
    cover: true,
    waitMs: 0,
    count: { total: 0, routed: 0, roundTrips: 0 },
  });
}

describe('checkedRead', () => {
  it("serves no read whose snapshot's position falls short of the token, whatever the check said", async () => {
    // The check: a server that has 0/500; the snapshot: one at 0/300 (a replacement under way).
    const answer = await read(['0/500|1|t0|10', '0/300|1|t1|11']);
    expect(answer.served).toBeUndefined();
    expect(answer.replayed.lsn).toBe(0x300n);
  });

  it('serves one whose snapshot shows the token, with the snapshot position as its token', async () => {
    const answer = await read(['0/500|1|t0|10', '0/520|1|t0|10']);
    expect(answer.served).toEqual({ result: 'rows', token: 0x520n });
  });

  it("reads the snapshot's position as it reads the check's (a standby streaming nothing, after a failover)", async () => {
    // Neither answer names a timeline (the receiver is down); `interpret` knows it is on 2.
    const answer = await read(['0/500||t0|10', '0/520||t0|10'], 2, (rows) => ({
      ...replayOfRows(rows),
      tli: 2,
    }));
    expect(answer.served).toEqual({ result: 'rows', token: 0x520n });
  });
});

describe('checkedRead, a work that writes on a replica behind the token', () => {
  it('says the standby refused it as read-only, though the check refused the read anyway', async () => {
    const readOnly = Object.assign(new Error('cannot execute INSERT in a read-only transaction'), {
      code: '25006',
    });
    const answer = checkedRead({
      connection: connection(['0/300|1|t0|10']),
      token: 0x400n,
      tli: 1,
      interpret: replayOfRows,
      work: () => Promise.reject(readOnly),
      cover: false,
      waitMs: 0,
      count: { total: 0, routed: 0, roundTrips: 0 },
    });
    // The caller learns the work writes: it must go to the primary, and never run twice there.
    await expect(answer).rejects.toBe(readOnly);
  });
});
