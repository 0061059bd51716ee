import { EventEmitter } from 'node:events';
import { ClientView, ConnectionLender, OPENS_TRANSACTION } from './connection.lender';
import type { PgConnection } from './postgres/pg-connection';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type { NodeRegistry } from './node-registry.service';
import { NotPrimaryError } from './exceptions/node-state.exceptions';
import {
  isNodeFailure,
  isRetryableElsewhere,
  isStatementError,
  isTransient,
} from './db-errors.util';

describe('OPENS_TRANSACTION (nothing is sent behind a statement that opens a transaction)', () => {
  it.each([
    'BEGIN',
    '  begin isolation level repeatable read',
    'START TRANSACTION READ ONLY',
    '/* a comment */ BEGIN',
    '-- a comment\nBEGIN',
    '/* one */ -- two\n  start  transaction',
  ])('knows %j', (text) => expect(OPENS_TRANSACTION.test(text)).toBe(true));

  it.each([
    'SELECT 1',
    'BEGINNING',
    "SELECT 'BEGIN'",
    '-- BEGIN\nSELECT 1',
    '/* BEGIN */ SELECT 1',
  ])('lets %j through', (text) => expect(OPENS_TRANSACTION.test(text)).toBe(false));
});

/** A node of one pooled connection, idle, whose statements `query` answers; a lender of it. */
function oneConnection(query: () => unknown, options: Partial<ResolvedReplicaRoutingOptions> = {}) {
  const connection = Object.assign(new EventEmitter(), {
    readyForQuery: true,
    getTransactionStatus: () => 'I',
    query,
    release: jest.fn(),
  });
  return { connection, lender: lenderOf({ connect: () => Promise.resolve(connection) }, options) };
}

/** A lender of a node whose pool is `pool`. */
function lenderOf(pool: { connect(): Promise<unknown> }, options = {}): ConnectionLender {
  const registry = {
    admit: () => () => undefined,
    ready: () => pool,
    queryCount: () => ({ total: 0, routed: 0, roundTrips: 0 }),
  } as unknown as NodeRegistry;
  return new ConnectionLender(
    { poolSize: 1, ...options } as ResolvedReplicaRoutingOptions,
    registry,
  );
}

describe('ConnectionLender, a work that failed', () => {
  /** One pooled connection, idle; `send()` makes it busy (no ReadyForQuery yet) until `settle()`. */
  function setup() {
    const { connection, lender } = oneConnection(() => undefined);
    const send = () => (connection.readyForQuery = false);
    const settle = () => {
      connection.readyForQuery = true;
      connection.emit('drain');
    };
    /** A work that sent a statement and failed with `error` before its ReadyForQuery came. */
    const failing = (error: Error) => () => {
      send();
      return Promise.reject(error);
    };
    return { lender, connection, settle, failing };
  }
  const refused = Object.assign(new Error('division by zero'), { code: '22012' });

  it('goes back to the pool once the ReadyForQuery of its refused statement comes', async () => {
    const { lender, connection, settle, failing } = setup();
    await expect(lender.lend('replica0', failing(refused))).rejects.toBe(refused);
    expect(connection.release).not.toHaveBeenCalled();
    settle();
    await new Promise(setImmediate);
    expect(connection.release).toHaveBeenCalledWith();
  });

  it('is closed at once when the server ended its session (a conflict with recovery)', async () => {
    const { lender, connection, failing } = setup();
    const ended = Object.assign(new Error('terminating connection due to conflict with recovery'), {
      code: '40001',
    });
    await expect(lender.lend('replica0', failing(ended))).rejects.toBe(ended);
    expect(connection.release).toHaveBeenCalledWith(ended);
  });

  it('is closed when it failed otherwise with a statement still in flight', async () => {
    const { lender, connection, failing } = setup();
    const failed = new Error('the work gave up');
    await expect(lender.lend('replica0', failing(failed))).rejects.toBe(failed);
    expect(connection.release).toHaveBeenCalledWith(expect.any(Error));
  });
});

describe('ClientView, once revoked', () => {
  it('refuses a query through a `query` taken from the handle before (as Kysely binds it)', () => {
    const target = { query: jest.fn(() => Promise.resolve({ rows: [] })) };
    const view = new ClientView(target as unknown as PgConnection, {
      total: 0,
      routed: 0,
      roundTrips: 0,
    });
    const kept = view.client.query.bind(view.client) as (sql: string) => unknown;
    void kept('SELECT 1');
    view.revoke();
    expect(() => kept('SELECT 2')).toThrow(/revoked connection/);
    expect(() => view.client.query('SELECT 3')).toThrow(TypeError);
    expect(target.query).toHaveBeenCalledTimes(1);
  });
});

describe('ConnectionLender, a connection that could not be opened', () => {
  const lenderConnecting = (error: Error) => lenderOf({ connect: () => Promise.reject(error) });
  const work = jest.fn(() => Promise.resolve('ran'));

  it.each([
    [
      'a login refused',
      Object.assign(new Error('password authentication failed'), { code: '28P01' }),
    ],
    [
      'a missing database',
      Object.assign(new Error('database "rides" does not exist'), { code: '3D000' }),
    ],
    [
      'a TLS handshake',
      Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
    ],
  ])(
    'counts %s as the node failing: the read goes elsewhere, the breaker learns',
    async (_, error) => {
      await expect(lenderConnecting(error).lend('replica0', work)).rejects.toBe(error);
      expect(work).not.toHaveBeenCalled();
      expect(isNodeFailure(error)).toBe(true);
      expect(isRetryableElsewhere(error)).toBe(true);
    },
  );

  it('leaves load as load (too many connections)', async () => {
    const error = Object.assign(new Error('sorry, too many clients already'), { code: '53300' });
    await expect(lenderConnecting(error).lend('replica0', work)).rejects.toBe(error);
    expect(isNodeFailure(error)).toBe(false);
    expect(isTransient(error)).toBe(true);
  });

  it('leaves the same error thrown by a work a statement error', () => {
    const error = Object.assign(new Error('password authentication failed'), { code: '28P01' });
    expect(isNodeFailure(error)).toBe(false);
    expect(isStatementError(error)).toBe(true);
  });
});

describe('ConnectionLender, a session the server ended between two statements of a work', () => {
  /** Lends a connection whose session `reason` ends during the work; what the work failed with. */
  async function endedBy(reason: Error) {
    const connection = Object.assign(new EventEmitter(), {
      readyForQuery: true,
      getTransactionStatus: () => 'I',
      query: () => undefined,
      release: jest.fn(),
    });
    const registry = {
      admit: () => () => undefined,
      ready: () => ({ connect: () => Promise.resolve(connection) }),
      queryCount: () => ({ total: 0, routed: 0, roundTrips: 0 }),
    } as unknown as NodeRegistry;
    const lender = new ConnectionLender({ poolSize: 1 } as ResolvedReplicaRoutingOptions, registry);
    const notQueryable = new Error(
      'Client has encountered a connection error and is not queryable',
    );
    const work = () => {
      // Idle in its transaction, the session is ended: node-postgres emits the FATAL as an event,
      // then the socket's end as another, and fails the next statement with an error of its own.
      connection.emit('error', reason);
      connection.emit('error', new Error('Connection terminated unexpectedly'));
      return Promise.reject(notQueryable);
    };
    // The same error object (a mark such as commit-unknown stays on it), its cause the server's.
    await expect(lender.lend('replica0', work)).rejects.toBe(notQueryable);
    expect(connection.release).toHaveBeenCalledWith(reason);
    return notQueryable;
  }

  it('fails the work with what ended it as the cause of node-postgres’ "not queryable"', async () => {
    const conflict = Object.assign(
      new Error('terminating connection due to conflict with recovery'),
      { code: '40001' },
    );
    const failed = await endedBy(conflict);
    expect(failed.cause).toBe(conflict);
    // Replay won over a query: retried elsewhere, the replica not charged, the connection closed.
    expect(isNodeFailure(failed)).toBe(false);
    expect(isRetryableElsewhere(failed)).toBe(true);
  });

  it('one backend terminated (pg_terminate_backend) is no node failure: the server’s reason, not the socket’s end', async () => {
    const terminated = Object.assign(
      new Error('terminating connection due to administrator command'),
      { code: '57P01', severity: 'FATAL' },
    );
    const failed = await endedBy(terminated);
    expect(failed.cause).toBe(terminated);
    expect(isTransient(failed)).toBe(true);
    expect(isNodeFailure(failed)).toBe(false);
  });
});

describe('ConnectionLender, on the primary', () => {
  /** One pooled primary connection, whose server says it is in recovery once `demoted` is set. */
  function setup(connectionProofs: boolean) {
    const state = { demoted: false, checks: 0 };
    const inRecovery = () => {
      state.checks++;
      return Promise.resolve({ rows: [{ standby: state.demoted }] });
    };
    const { lender } = oneConnection(inRecovery, { connectionProofs });
    const use = () => lender.lend('primary', () => Promise.resolve('ran'));
    return { state, use };
  }

  it('proves a connection once: a demotion restarts the server and ends it', async () => {
    const { state, use } = setup(true);
    await expect(use()).resolves.toBe('ran');
    state.demoted = true;
    await expect(use()).resolves.toBe('ran');
    expect(state.checks).toBe(1);
  });

  it('behind a transaction-mode pooler (no connection proofs), proves every use', async () => {
    // The pooler's client connection outlived the server's demotion and restart as a standby.
    const { state, use } = setup(false);
    await expect(use()).resolves.toBe('ran');
    state.demoted = true;
    await expect(use()).rejects.toThrow(NotPrimaryError);
    expect(state.checks).toBe(2);
  });
});
