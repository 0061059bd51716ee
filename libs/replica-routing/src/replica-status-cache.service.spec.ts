import type { DataSource } from 'typeorm';
import type { ReplicaStatusRow } from './interfaces/replica-status.interface';
import { parseLsn } from './lsn.util';
import { NodeHealth } from './node-health.service';
import type { NodeRegistry } from './node-registry.service';
import { resolveOptions } from './replica-routing.options';
import { ReplicaStatusCache } from './replica-status-cache.service';
import type { ReplicaStatusStore } from './replica-status.store';

const row = (
  name: string,
  lsn: string,
  observedAt: number,
  reachable = true,
): ReplicaStatusRow => ({
  name,
  role: name === 'primary' ? 'primary' : 'replica',
  lsn: parseLsn(lsn),
  observedAt,
  reachable,
  lagBytes: 0,
  error: null,
});

describe('ReplicaStatusCache refresh', () => {
  const options = resolveOptions({
    primary: { url: 'postgres://p' },
    replicas: [{ name: 'replica0', url: 'postgres://r0' }],
    primaryCooldownMs: 30_000,
  });
  // The fake registry hands out node names in place of DataSources, so the
  // store can tell which node it was asked to read from.
  const registry = {
    names: ['primary', 'replica0'],
    get: (name: string) => Promise.resolve(name as unknown as DataSource),
  } as unknown as NodeRegistry;
  let asked: string[];
  /** What the status table holds (the fake primary refuses; replica0 serves its copy). */
  let table: ReplicaStatusRow[];
  let health: NodeHealth;
  let cache: ReplicaStatusCache;

  beforeEach(() => {
    asked = [];
    table = [row('replica0', '0/5000', 1000)];
    const store = {
      load: (node: unknown) => {
        asked.push(node as string);
        if (node === 'primary') return Promise.reject(new Error('connect ECONNREFUSED'));
        return Promise.resolve(table);
      },
    } as unknown as ReplicaStatusStore;
    health = new NodeHealth(options);
    cache = new ReplicaStatusCache(options, registry, store, health);
  });

  it('reads from the primary first and falls back to a replica’s copy', async () => {
    await cache.refresh();
    expect(asked).toEqual(['primary', 'replica0']);
    expect(cache.get('replica0')?.lsn).toBe(parseLsn('0/5000'));
  });

  it('skips a primary behind its breaker', async () => {
    health.recordFailure('primary', new Error('connect ECONNREFUSED'));
    await cache.refresh();
    expect(asked).toEqual(['replica0']);
    expect(cache.get('replica0')?.lsn).toBe(parseLsn('0/5000'));
  });

  it('keeps what it has when every node is benched', async () => {
    await cache.refresh();
    health.recordFailure('primary', new Error('down'));
    for (let i = 0; i < options.replicaFailureThreshold; i++)
      health.recordFailure('replica0', new Error('down'));
    asked = [];
    await cache.refresh();
    expect(asked).toEqual([]);
    expect(cache.get('replica0')?.lsn).toBe(parseLsn('0/5000'));
  });

  describe('a replica reported unreachable', () => {
    beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
    afterEach(() => jest.useRealTimers());
    const later = (ms: number) => jest.setSystemTime(Date.now() + ms);

    it('is skipped while the news is fresh, and tried again once the observer stops reporting it', async () => {
      table = [row('replica0', '0/5000', 1000, false)];
      await cache.refresh();
      expect(cache.mayTry('replica0')).toBe(false);
      later(options.replicaBenchMs - 1);
      await cache.refresh(); // the same row again: the observer is down, no news
      expect(cache.mayTry('replica0')).toBe(false);
      later(1);
      expect(cache.mayTry('replica0')).toBe(true);
      // A newer row saying the same thing makes the news fresh again.
      table = [row('replica0', '0/5000', 2000, false)];
      await cache.refresh();
      expect(cache.mayTry('replica0')).toBe(false);
    });

    it('by a failed read likewise, and a read that succeeds clears it', async () => {
      await cache.refresh();
      expect(cache.mayTry('replica0')).toBe(true);
      cache.markUnreachable('replica0');
      expect(cache.mayTry('replica0')).toBe(false);
      later(options.replicaBenchMs);
      expect(cache.mayTry('replica0')).toBe(true);
      cache.markUnreachable('replica0');
      cache.observeReplica('replica0', parseLsn('0/6000'));
      expect(cache.mayTry('replica0')).toBe(true);
      expect(cache.get('replica0')?.lsn).toBe(parseLsn('0/5000')); // reads never raise it
    });

    it('a replica never seen is never tried', () => {
      expect(cache.mayTry('replica0')).toBe(false);
    });
  });
});
