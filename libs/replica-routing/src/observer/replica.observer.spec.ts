import { setRoutingLogger } from '../logger';
import type { NodeRegistry } from '../node-registry.service';
import type { ReplicaStatusStore } from '../replica-status.store';
import type { TopologyDiscovery } from '../topology/topology-discovery.service';
import { NOT_A_STANDBY, type ReplicaProbe } from './replica-probe.service';
import { ReplicaObserver } from './replica.observer';
import { resolveObserverOptions } from './replica-observer.options';

const url = 'postgres://127.0.0.1:1/x';

const primaryRow = {
  name: 'primary',
  role: 'primary',
  lsn: 1n,
  observedAt: Date.now(),
  reachable: true,
  lagBytes: null,
  lagSeconds: null,
  error: null,
};

/**
 * An observer whose probes find a reachable primary (and `replicas`), whose
 * saves succeed unless `save` says otherwise, and whose discovery counts its
 * refreshes in `refreshes`.
 */
function observer({
  heartbeatFile,
  discoveryStartMs = 0,
  save = () => Promise.resolve(),
  rows = [primaryRow],
  refreshes = { n: 0 },
}: {
  heartbeatFile?: string;
  discoveryStartMs?: number;
  save?: () => Promise<void>;
  rows?: object[];
  refreshes?: { n: number };
} = {}): ReplicaObserver {
  const options = resolveObserverOptions({ primary: { url }, replicas: [], heartbeatFile });
  const probe = { probeAll: () => Promise.resolve(rows) } as unknown as ReplicaProbe;
  const store = { save } as unknown as ReplicaStatusStore;
  const registry = { replicaNames: [], close: () => Promise.resolve() } as unknown as NodeRegistry;
  const discovery = {
    start: () => new Promise((resolve) => setTimeout(resolve, discoveryStartMs)),
    stop: () => Promise.resolve(),
    refresh: () => {
      refreshes.n++;
      return Promise.resolve();
    },
  } as unknown as TopologyDiscovery;
  return new ReplicaObserver(options, probe, store, registry, discovery);
}

describe('ReplicaObserver', () => {
  const warnings: string[] = [];
  beforeAll(() => {
    const quiet = () => undefined;
    setRoutingLogger(() => ({ log: quiet, warn: (m: string) => warnings.push(m), error: quiet }));
  });

  it('goes on ticking when its heartbeat file cannot be written, and says so once', async () => {
    const o = observer({ heartbeatFile: '/nonexistent-dir/observer.heartbeat' });
    await expect(o.tick()).resolves.toHaveLength(1);
    await expect(o.tick()).resolves.toHaveLength(1);
    expect(warnings.filter((w) => /heartbeat/.test(w))).toHaveLength(1);
    await o.close();
  });

  it('says once, not every tick, that it cannot save the statuses with the primary up', async () => {
    const missing = () => Promise.reject(new Error('relation "replica_statuses" does not exist'));
    const o = observer({ save: missing });
    for (let i = 0; i < 5; i++) await o.tick();
    expect(warnings.filter((w) => /cannot save statuses/.test(w))).toHaveLength(1);
    await o.close();
  });

  it('stopped while its discovery starts: schedules no tick', async () => {
    const o = observer({ discoveryStartMs: 20 });
    const starting = o.start();
    await o.stop();
    await starting;
    const { timer } = o as unknown as { timer?: NodeJS.Timeout };
    clearInterval(timer);
    expect(timer).toBeUndefined();
    await o.close();
  });

  it('discovers again when the primary is gone or a replica is no standby, not for a replica that is down', async () => {
    const replica = (reachable: boolean, error: string | null) => ({
      ...primaryRow,
      name: 'replica0',
      role: 'replica',
      lsn: null,
      reachable,
      error,
    });
    const refreshesAfter = async (rows: object[]) => {
      const refreshes = { n: 0 };
      const o = observer({ rows, refreshes });
      await o.tick();
      await o.close();
      return refreshes.n;
    };
    await expect(
      refreshesAfter([primaryRow, replica(false, 'connect ECONNREFUSED')]),
    ).resolves.toBe(0);
    await expect(refreshesAfter([primaryRow, replica(false, NOT_A_STANDBY)])).resolves.toBe(1);
    await expect(refreshesAfter([{ ...primaryRow, reachable: false, lsn: null }])).resolves.toBe(1);
  });
});
