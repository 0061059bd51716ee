import { QueryFailedError } from 'typeorm';
import { isNodeFailure, isRetryableElsewhere } from './db-errors.util';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const wrapped = (code: string, message = 'x') =>
  new QueryFailedError('SELECT 1', [], pgError(code, message));

describe('db error classification', () => {
  it.each([
    [
      'socket refused',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5434'), { code: 'ECONNREFUSED' }),
    ],
    ['admin shutdown', wrapped('57P01', 'terminating connection due to administrator command')],
    ['starting up', wrapped('57P03', 'the database system is starting up')],
    ['connection class', wrapped('08006')],
    ['dropped socket', new Error('Connection terminated unexpectedly')],
    ['pool timeout', new Error('timeout exceeded when trying to connect')],
  ])('%s is a node failure', (_, error) => {
    expect(isNodeFailure(error)).toBe(true);
    expect(isRetryableElsewhere(error)).toBe(true);
  });

  it.each([
    ['recovery conflict', wrapped('40001', 'canceling statement due to conflict with recovery')],
    ['statement timeout', wrapped('57014', 'canceling statement due to statement timeout')],
  ])('%s is retried elsewhere but does not count against the node', (_, error) => {
    expect(isNodeFailure(error)).toBe(false);
    expect(isRetryableElsewhere(error)).toBe(true);
  });

  it.each([
    ['syntax error', wrapped('42601')],
    ['unique violation', wrapped('23505')],
    ['a bug', new TypeError('x is undefined')],
  ])('%s is the caller’s problem: neither', (_, error) => {
    expect(isNodeFailure(error)).toBe(false);
    expect(isRetryableElsewhere(error)).toBe(false);
  });
});
