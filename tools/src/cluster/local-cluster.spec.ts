import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalCluster } from './local-cluster';

/**
 * A stand-in for `postgres -D <dir>`: writes its pid as the postmaster does
 * after a moment, then waits to be told to stop.
 */
function fakePostgres(dir: string): string {
  const file = join(dir, 'postgres');
  // A replica takes longer to come up than the primary, as a real one does (it replays first).
  writeFileSync(
    file,
    '#!/bin/sh\ncase "$2" in *primary) sleep 0.05 ;; *) sleep 0.5 ;; esac\n' +
      'echo $$ > "$2/postmaster.pid"\nexec sleep 600\n',
  );
  chmodSync(file, 0o755);
  return file;
}

describe('LocalCluster.stopAll', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'local-cluster-'));
    // As root the nodes run as the unprivileged server owner: it must reach the script and dirs.
    chmodSync(dir, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stops a node whose start was under way, and lets none start after it', async () => {
    const postgres = fakePostgres(dir);
    const cluster = new LocalCluster(
      {
        dataDir: join(dir, 'data'),
        port: 1,
        replicas: 3,
        host: '127.0.0.1',
        user: 'u',
        password: 'p',
        database: 'd',
        fsync: false,
      },
      { bindir: dir, initdb: postgres, postgres, version: 15, source: 'test' },
    );
    for (const node of cluster.nodes) {
      mkdirSync(node.dir, { recursive: true });
      chmodSync(node.dir, 0o777);
    }
    chmodSync(join(dir, 'data'), 0o755);
    // As a signal during `npm run cluster` does: stop while a replica is being started.
    const starting = cluster.startAll({ foreground: false }).catch((error: Error) => error);
    while (!cluster.pidOf('primary')) await sleep(10);
    await sleep(50);
    await cluster.stopAll('immediate');
    // What the start went on to do, had it not been stopped: a replica is up within 0.5 s.
    await sleep(1500);
    try {
      expect(cluster.nodes.map((n) => cluster.pidOf(n.name))).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
      await expect(starting).resolves.toBeInstanceOf(Error);
    } finally {
      await cluster.stopAll('immediate').catch(() => undefined);
    }
  });
});
