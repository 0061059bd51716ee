import { QueryFailedError } from 'typeorm';
import {
  isNodeFailure,
  isRetryableElsewhere,
  isStatementError,
  isTransient,
} from './db-errors.util';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const wrapped = (code: string, message = 'x') =>
  new QueryFailedError('SELECT 1', [], pgError(code, message));

describe('db error classification', () => {
  it('reads the message of an error a wrapper holds as its cause (Drizzle)', () => {
    const lost = new Error('Failed query: select 1', {
      cause: new Error('Connection terminated unexpectedly'),
    });
    expect(isNodeFailure(lost)).toBe(true);
    const busy = new Error('Failed query: select 1', {
      cause: new Error('timeout exceeded when trying to connect'),
    });
    expect(isTransient(busy)).toBe(true);
  });

  it('charges the node nothing for a conflict with recovery that ends the session', () => {
    const conflict = wrapped('40001', 'terminating connection due to conflict with recovery');
    expect(isNodeFailure(conflict)).toBe(false);
    expect(isRetryableElsewhere(conflict)).toBe(true);
  });

  it.each([
    ['25P03', 'terminating connection due to idle-in-transaction timeout'],
    ['57P05', 'terminating connection due to idle-session timeout'],
  ])(
    'takes a session ended for sitting idle (%s) for that session’s end, not the node’s failure',
    (code, message) => {
      // As the lender hands it on: node-postgres' error, the server's reason as its cause.
      const ended = new Error('Client has encountered a connection error and is not queryable', {
        cause: Object.assign(pgError(code, message), { severity: 'FATAL' }),
      });
      expect(isNodeFailure(ended)).toBe(false);
      expect(isTransient(ended)).toBe(false);
      expect(isRetryableElsewhere(ended)).toBe(false);
    },
  );

  it.each([
    [
      'socket refused',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5434'), { code: 'ECONNREFUSED' }),
    ],
    ['starting up', wrapped('57P03', 'the database system is starting up')],
    ['connection class', wrapped('08006')],
    ['dropped socket', new Error('Connection terminated unexpectedly')],
    ['TCP connect timeout', new Error('Connection terminated due to connection timeout')],
    ['pool closed by a failover', new Error('Cannot use a pool after calling end on the pool')],
    [
      'the postmaster died under the backend',
      wrapped('57P01', 'terminating connection due to unexpected postmaster exit'),
    ],
  ])('%s is a node failure', (_, error) => {
    expect(isNodeFailure(error)).toBe(true);
    expect(isTransient(error)).toBe(false);
    expect(isRetryableElsewhere(error)).toBe(true);
  });

  it.each([
    [
      'one backend terminated',
      wrapped('57P01', 'terminating connection due to administrator command'),
    ],
    ['too many connections', wrapped('53300', 'sorry, too many clients already')],
    ['waiting for a pooled connection', new Error('timeout exceeded when trying to connect')],
    ['this process queue full', Object.assign(new Error('busy'), { code: 'RR_OVERLOADED' })],
  ])('%s is load: retried elsewhere, never a failure of the node', (_, error) => {
    expect(isTransient(error)).toBe(true);
    expect(isNodeFailure(error)).toBe(false);
    expect(isRetryableElsewhere(error)).toBe(true);
  });

  it.each([
    ['recovery conflict', wrapped('40001', 'canceling statement due to conflict with recovery')],
    ['statement timeout', wrapped('57014', 'canceling statement due to statement timeout')],
    [
      'serializable on a standby',
      wrapped('0A000', 'cannot use serializable mode in a hot standby'),
    ],
  ])('%s is retried elsewhere but does not count against the node', (_, error) => {
    expect(isNodeFailure(error)).toBe(false);
    expect(isRetryableElsewhere(error)).toBe(true);
  });

  it.each([
    ['syntax error', wrapped('42601')],
    ['unique violation', wrapped('23505')],
    ['a bug', new TypeError('x is undefined')],
    [
      'an unsupported feature',
      wrapped('0A000', 'FOR UPDATE is not allowed with aggregate functions'),
    ],
  ])('%s is the caller’s problem: neither', (_, error) => {
    expect(isNodeFailure(error)).toBe(false);
    expect(isRetryableElsewhere(error)).toBe(false);
  });

  it('knows a statement the server refused, its session going on', () => {
    expect(isStatementError(pgError('22012', 'division by zero'))).toBe(true);
    expect(isStatementError(wrapped('23505'))).toBe(true);
    expect(isStatementError(wrapped('57014', 'canceling statement due to statement timeout'))).toBe(
      true,
    );
    for (const error of [
      Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }),
      wrapped('08006'),
      wrapped('57P01', 'terminating connection due to administrator command'),
      wrapped('53300'),
      Object.assign(new Error('overloaded'), { code: 'RR_OVERLOADED' }),
      new Error('Query read timeout'),
    ])
      expect(isStatementError(error)).toBe(false);
  });
});
