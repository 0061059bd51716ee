import { EventEmitter } from 'node:events';
import { markedCommitUnknown } from './commit-unknown';
import { TransactionEndedError } from './exceptions/transaction-ended.exception';
import { setRoutingLogger } from './logger';
import { NodeExecutor } from './node-executor.service';
import type { NodeRegistry } from './node-registry.service';
import { resolveOptions } from './replica-routing.options';

describe('NodeExecutor', () => {
  const options = resolveOptions({ primary: { url: 'postgres://p' } });

  /**
   * A registry whose pool lends one connection whose release can be watched: a
   * proven primary's, whose session reports `status` (node-postgres' last ReadyForQuery).
   */
  function connectionWith(status = { now: 'I' }) {
    const released: unknown[] = [];
    const connection = {
      query: jest.fn(() => Promise.resolve({ rows: [{ standby: false }] })),
      readyForQuery: true,
      getTransactionStatus: () => status.now,
      on: () => undefined,
      release: jest.fn((err?: unknown) => {
        released.push(err);
      }),
    };
    return { connection, released };
  }

  const adapter = { bind: () => ({}) };

  function executorOn(
    lent: { connection: unknown }[],
    bind: ConstructorParameters<typeof NodeExecutor>[2] = adapter,
  ) {
    const registry = {
      admit: () => () => undefined,
      ready: () => undefined,
      get: () => Promise.resolve({ connect: () => Promise.resolve(lent.shift()!.connection) }),
      queryCount: () => ({ total: 0, routed: 0, roundTrips: 0 }),
    } as unknown as NodeRegistry;
    return new NodeExecutor(options, registry, bind);
  }

  function executorWith(status = { now: 'I' }) {
    const lent = connectionWith(status);
    return { executor: executorOn([lent]), released: lent.released };
  }

  it('hands back as broken a connection that timed out or was lost under the work', async () => {
    const { executor, released } = executorWith();
    const timeout = new Error('Query read timeout');
    await expect(executor.readOnPrimary(() => Promise.reject(timeout), 'none')).rejects.toBe(
      timeout,
    );
    expect(released).toEqual([timeout]);
  });

  it('keeps a connection whose query failed on its own (a bad query, a constraint)', async () => {
    const { executor, released } = executorWith();
    const bad = Object.assign(new Error('syntax error'), { code: '42601' });
    await expect(executor.readOnPrimary(() => Promise.reject(bad), 'none')).rejects.toBe(bad);
    expect(released).toEqual([undefined]);
  });

  it('closes a connection that a work left inside a transaction, or in a failed one', async () => {
    for (const [state, reason] of [
      ['T', 'in transaction'],
      ['E', 'failed transaction'],
    ]) {
      const status = { now: 'I' };
      const { executor, released } = executorWith(status);
      await executor.readOnPrimary(() => {
        status.now = state!;
        return Promise.resolve('read');
      }, 'none');
      expect(released).toEqual([new Error(`connection not reused: ${reason}`)]);
    }
  });

  it('takes another connection when the pool lends one that is not idle', async () => {
    // The first connection lent is inside a transaction.
    const dirty = connectionWith({ now: 'T' });
    const clean = connectionWith({ now: 'I' });
    const read = executorOn([dirty, clean]).readOnPrimary(() => Promise.resolve('r'), 'none');
    await expect(read).resolves.toMatchObject({ result: 'r' });
    expect(dirty.released).toEqual([new Error('connection not reused: in transaction')]);
    expect(clean.released).toEqual([undefined]);
  });

  it('gives a work a handle that stops working once the work is over', async () => {
    const lent = connectionWith();
    let kept: { query(text: string): unknown } | undefined;
    const executor = executorOn([lent], { bind: (client) => client });
    await executor.readOnPrimary((client) => {
      kept = client as { query(text: string): unknown };
      return Promise.resolve();
    }, 'none');
    expect(() => kept!.query('SELECT 1')).toThrow(TypeError);
    expect(lent.released).toEqual([undefined]);
  });
});

/** An executor whose pool lends `connection` (a primary's) for every use. */
function executorLending(connection: unknown): NodeExecutor {
  const registry = {
    admit: () => () => undefined,
    ready: () => ({ connect: () => Promise.resolve(connection) }),
    queryCount: () => ({ total: 0, routed: 0, roundTrips: 0 }),
  } as unknown as NodeRegistry;
  const options = resolveOptions({ primary: { url: 'postgres://p' } });
  return new NodeExecutor(options, registry, { bind: () => ({}) });
}

describe('NodeExecutor, a write whose COMMIT failed', () => {
  /** A primary connection whose COMMIT fails with `error`, its session then as `status` says. */
  function committingWith(error: Error, status: string) {
    let now = 'I';
    const connection = {
      query: jest.fn((sql: unknown) => {
        if (sql === 'BEGIN') now = 'T';
        if (sql !== 'COMMIT') return Promise.resolve({ rows: [{ standby: false }] });
        now = status;
        return Promise.reject(error);
      }),
      readyForQuery: true,
      getTransactionStatus: () => now,
      on: () => undefined,
      release: jest.fn(),
    };
    return executorLending(connection);
  }
  const write = (executor: NodeExecutor) =>
    executor.writeOnPrimary(() => Promise.resolve('done'), true, false);

  it('is rolled back, not of unknown outcome, when the server refused the COMMIT', async () => {
    // A deferred constraint checked at COMMIT: the server answers an ERROR and rolls back.
    const refused = Object.assign(new Error('duplicate key value'), {
      code: '23505',
      severity: 'ERROR',
    });
    await expect(write(committingWith(refused, 'I'))).rejects.toBe(refused);
    expect(markedCommitUnknown(refused)).toBe(false);
  });

  it.each([
    ['the connection was lost during COMMIT', { code: 'ECONNRESET' }, 'read ECONNRESET'],
    // FATAL while waiting for a synchronous standby: the commit is already local.
    [
      'the server ended the session during COMMIT',
      { code: '57P01', severity: 'FATAL' },
      'terminating connection due to administrator command',
    ],
    [
      'a FATAL came whose message no rule knows (another language)',
      { code: '25P03', severity: 'FATAL' },
      'Verbindung wird abgebrochen',
    ],
  ])('may have committed when %s', async (_, fields, message) => {
    const error = Object.assign(new Error(message), fields);
    await expect(write(committingWith(error, 'I'))).rejects.toBe(error);
    expect(markedCommitUnknown(error)).toBe(true);
  });
});

describe('NodeExecutor, a write whose work ended its transaction itself', () => {
  /** A primary connection that keeps Postgres' transaction status, and `sent` what reached it. */
  function primary() {
    const sent: string[] = [];
    let status = 'I';
    const wire = new EventEmitter();
    const connection = {
      connection: wire,
      query: jest.fn((sql: string) => {
        sent.push(sql);
        if (sql === 'BEGIN') status = 'T';
        if (sql === 'COMMIT' || sql === 'ROLLBACK') status = 'I';
        // node-postgres' ReadyForQuery, with the status after the statement.
        wire.emit('readyForQuery', { status });
        return Promise.resolve({ rows: [{ standby: false }], command: sql });
      }),
      readyForQuery: true,
      getTransactionStatus: () => status,
      on: () => undefined,
      release: jest.fn(),
    };
    const ends = () => sent.filter((sql) => /^(BEGIN|COMMIT|ROLLBACK)$/.test(sql));
    return { executor: executorLending(connection), connection, ends };
  }
  const failure = (write: Promise<unknown>) => write.catch((e: unknown) => e);

  it.each(['COMMIT', 'ROLLBACK'])(
    'fails (%s: part of it may be committed), is never rerun, and sends no COMMIT of its own',
    async (end) => {
      const { executor, connection, ends } = primary();
      // An ORM's top-level commit or rollback, or raw SQL, on the library's own connection.
      const work = async () => {
        await connection.query("INSERT INTO notes VALUES ('a')");
        await connection.query(end);
        await connection.query("INSERT INTO notes VALUES ('b')"); // autocommit
        return 'done';
      };
      const failed = await failure(executor.writeOnPrimary(work, true, true));
      expect(failed).toBeInstanceOf(TransactionEndedError);
      expect(markedCommitUnknown(failed)).toBe(true);
      expect(ends()).toEqual(['BEGIN', end]);
    },
  );

  it('fails likewise when the work began a transaction of its own after its COMMIT', async () => {
    const { executor, connection, ends } = primary();
    const work = async () => {
      await connection.query("INSERT INTO notes VALUES ('a')");
      await connection.query('COMMIT');
      await connection.query('BEGIN');
      await connection.query("INSERT INTO notes VALUES ('b')");
      return 'done';
    };
    const failed = await failure(executor.writeOnPrimary(work, true, true));
    expect(failed).toBeInstanceOf(TransactionEndedError);
    // Its own transaction is rolled back, not committed as if it were the write's.
    expect(ends()).toEqual(['BEGIN', 'COMMIT', 'BEGIN', 'ROLLBACK']);
  });

  it('is of unknown outcome, not rolled back and rerun, when the work then fails', async () => {
    const { executor, connection, ends } = primary();
    const lost = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const work = async () => {
      await connection.query("INSERT INTO notes VALUES ('a')");
      await connection.query('COMMIT');
      throw lost;
    };
    const failed = await failure(executor.writeOnPrimary(work, true, true));
    expect(failed).toBe(lost);
    expect(markedCommitUnknown(lost)).toBe(true);
    expect(ends()).toEqual(['BEGIN', 'COMMIT']);
  });
});

describe('NodeExecutor, the token of a write that waited for synchronous standbys', () => {
  /** A primary with synchronous standbys; its COMMIT answers after the notices in `warnings`. */
  function primaryWarning(warnings: { code: string; message: string }[]) {
    const sent: string[] = [];
    let status = 'I';
    const connection = Object.assign(new EventEmitter(), {
      query: jest.fn((sql: string) => {
        sent.push(sql);
        if (sql === 'BEGIN' || sql === 'COMMIT') status = sql === 'BEGIN' ? 'T' : 'I';
        if (sql.includes("current_setting('synchronous_commit')"))
          return Promise.resolve({ rows: [{ setting: 'on' }] });
        if (sql.includes('pg_current_wal_insert_lsn'))
          return Promise.resolve({ rows: [{ lsn: '0/200', tli: 1, sync: true }] });
        if (sql === 'COMMIT') for (const w of warnings) connection.emit('notice', w);
        return Promise.resolve({ rows: [{ standby: false }], command: sql });
      }),
      readyForQuery: true,
      getTransactionStatus: () => status,
      release: jest.fn(),
    });
    const executor = executorLending(connection);
    const tokenQuery = () => sent.find((sql) => sql.includes('pg_current_wal_insert_lsn'));
    return { executor, tokenQuery, connection };
  }

  it('is the standbys’ flush position when the COMMIT waited for them', async () => {
    const { executor, tokenQuery } = primaryWarning([]);
    await executor.writeOnPrimary(() => Promise.resolve('done'), true);
    expect(tokenQuery()).toContain('CASE WHEN true');
  });

  it('is the insert position when the wait was cancelled (committed locally only)', async () => {
    const { executor, tokenQuery, connection } = primaryWarning([
      { code: '01000', message: 'canceling wait for synchronous replication due to user request' },
    ]);
    await executor.writeOnPrimary(() => Promise.resolve('done'), true);
    expect(tokenQuery()).toContain('CASE WHEN false');
    expect(connection.listenerCount('notice')).toBe(0);
  });
});

/** What a checked read sends: check, snapshot transaction and its position, the work, COMMIT. */
const CHECKED = [
  'position',
  'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
  'position',
  'SELECT 1',
  'COMMIT',
];
/** What a covered read on a proven connection sends: the work, the cover behind it. */
const COVERED = ['SELECT 1', 'named replica_routing_replay'];

describe('NodeExecutor, a replica read and its connection proof', () => {
  const options = resolveOptions({
    primary: { url: 'postgres://p' },
    replicas: [{ name: 'r', url: 'postgres://r' }],
  });

  /**
   * One replica connection, lent for every read. Each position query (the
   * check, the snapshot's, the cover) answers the next of `replays`
   * (`lsn|tli|started|pid`); `sent` lists what reached it.
   */
  function replica(replays: string[]) {
    const sent: string[] = [];
    const answer = () => ({
      rows: [{ replay: replays.length > 1 ? replays.shift() : replays[0] }],
    });
    const connection = {
      readyForQuery: true,
      getTransactionStatus: () => 'I',
      on: () => undefined,
      release: () => undefined,
      query: (config: string | { name: string }, cb?: unknown) => {
        const text = typeof config === 'string' ? config : `named ${config.name}`;
        sent.push(text.startsWith('SELECT format(') ? 'position' : text);
        const result = text === 'position' || /^(SELECT format|named)/.test(text) ? answer() : {};
        if (typeof cb === 'function')
          return void (cb as (e: null, r: unknown) => void)(null, result);
        return Promise.resolve(text === 'SELECT 1' ? { rows: [{ x: 1 }] } : result);
      },
    };
    const registry = {
      admit: () => () => undefined,
      ready: () => ({ connect: () => Promise.resolve(connection) }),
      queryCount: () => ({ total: 0, routed: 0, roundTrips: 0 }),
    } as unknown as NodeRegistry;
    const executor = new NodeExecutor(options, registry, { bind: (client) => client });
    const read = (token: bigint) =>
      executor.readOnReplica(
        'r',
        token,
        1,
        (client) => (client as { query(sql: string): Promise<unknown> }).query('SELECT 1'),
        { waitMs: 0, cover: true },
      );
    return { sent, read, replays };
  }

  const quiet = () => undefined;
  beforeAll(() => setRoutingLogger(() => ({ log: quiet, warn: quiet, error: quiet })));

  it('checks a first read in-band, then covers the next ones with the proof it recorded', async () => {
    const { sent, read } = replica(['0/100|1|t0|5', '0/100|1|t0|5', '0/120|1|t0|5']);
    await expect(read(0x80n)).resolves.toMatchObject({ served: { token: { lsn: 0x100n } } });
    expect(sent).toEqual(CHECKED);
    sent.length = 0;
    // Proven at 0/100: no check, the cover behind the statement, the token it answered.
    await expect(read(0x90n)).resolves.toMatchObject({ served: { token: { lsn: 0x120n } } });
    expect(sent).toEqual(COVERED);
    sent.length = 0;
    // The cover's 0/120 was recorded: 0/110 needs no check either.
    await read(0x110n);
    expect(sent).toEqual(COVERED);
  });

  it('names the read’s timeline in its token when the standby shows none (its WAL receiver not visible)', async () => {
    // Timeline 1, no receiver visible: the check passes, and the token still names timeline 1.
    const { read } = replica(['0/100||t0|5', '0/100||t0|5', '0/120||t0|5']);
    await expect(read(0x80n)).resolves.toMatchObject({ served: { token: { tli: 1 } } });
    await expect(read(0x90n)).resolves.toMatchObject({ served: { token: { tli: 1 } } });
  });

  it('forgets the proof when the cover shows the node is no longer a standby on the timeline', async () => {
    const { sent, read, replays } = replica(['0/100|1|t0|5', '0/100|1|t0|5']);
    await read(0x80n);
    // Promoted meanwhile: no replay position.
    replays.splice(0, replays.length, '|1|t0|5');
    const covered = await read(0x90n);
    expect(covered.served).toBeUndefined();
    sent.length = 0;
    replays.splice(0, replays.length, '0/100|1|t0|5');
    await read(0x90n);
    expect(sent[0]).toBe('position');
  });

  it('checks the read in-band when the cover came from another server session', async () => {
    const { sent, read, replays } = replica(['0/100|1|t0|5', '0/100|1|t0|5']);
    await read(0x80n);
    sent.length = 0;
    // A pooler switched backends: pid 6 answers the cover, then the check and snapshot.
    replays.splice(0, replays.length, '0/100|1|t0|6');
    await expect(read(0x90n)).resolves.toMatchObject({ served: { token: { lsn: 0x100n } } });
    expect(sent).toEqual([...COVERED, ...CHECKED]);
    // From now on every read on that node is checked.
    sent.length = 0;
    await read(0x90n);
    expect(sent[0]).toBe('position');
  });
});
