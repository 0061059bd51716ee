import { EventEmitter } from 'node:events';
import { drained } from './connection-hygiene';
import type { PgConnection } from './pg-connection';

describe('drained', () => {
  afterEach(() => jest.useRealTimers());

  it('resolves when the connection drains, and stops listening', async () => {
    const connection = new EventEmitter();
    let done = false;
    const waiting = drained(connection as unknown as PgConnection, 60_000).then(
      () => (done = true),
    );
    await Promise.resolve();
    expect(done).toBe(false);
    connection.emit('drain');
    await waiting;
    expect(connection.listenerCount('drain')).toBe(0);
  });

  it('gives up after the bound when no drain comes (a connection that died)', async () => {
    jest.useFakeTimers();
    const connection = new EventEmitter();
    const waiting = drained(connection as unknown as PgConnection, 1000);
    jest.advanceTimersByTime(999);
    expect(connection.listenerCount('drain')).toBe(1);
    jest.advanceTimersByTime(1);
    await waiting;
    expect(connection.listenerCount('drain')).toBe(0);
  });
});
