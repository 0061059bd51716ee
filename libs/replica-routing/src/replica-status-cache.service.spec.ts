import type { DataSource } from 'typeorm';
import type { ReplicaStatusRow } from './interfaces/replica-status.interface';
import { parseLsn } from './lsn.util';
import { NodeHealth } from './node-health.service';
import type { NodeRegistry } from './node-registry.service';
import { resolveOptions } from './replica-routing.options';
import { ReplicaStatusCache } from './replica-status-cache.service';
import type { ReplicaStatusStore } from './replica-status.store';

const row = (name: string, lsn: string, observedAt: number): ReplicaStatusRow => ({
  name,
  role: name === 'primary' ? 'primary' : 'replica',
  lsn: parseLsn(lsn),
  observedAt,
  reachable: true,
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
  let health: NodeHealth;
  let cache: ReplicaStatusCache;

  beforeEach(() => {
    asked = [];
    const store = {
      load: (node: unknown) => {
        asked.push(node as string);
        if (node === 'primary') return Promise.reject(new Error('connect ECONNREFUSED'));
        return Promise.resolve([row('replica0', '0/5000', 1000)]);
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
});
