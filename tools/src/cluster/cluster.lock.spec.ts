import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterLock } from './cluster.lock';

describe('ClusterLock', () => {
  const path = () => join(mkdtempSync(join(tmpdir(), 'lock-')), 'cluster.lock');

  it('lets one launcher in and tells the second who holds it', () => {
    const file = path();
    const first = new ClusterLock(file);
    first.acquire();
    expect(() => new ClusterLock(file).acquire()).toThrow(
      `Another cluster launcher (pid ${process.pid})`,
    );
    first.release();
    const next = new ClusterLock(file);
    expect(() => next.acquire()).not.toThrow();
    next.release();
  });

  it('takes over a lock left by a dead process', () => {
    const file = path();
    writeFileSync(file, '2147483646'); // no such pid
    const lock = new ClusterLock(file);
    expect(() => lock.acquire()).not.toThrow();
    lock.release();
  });
});
