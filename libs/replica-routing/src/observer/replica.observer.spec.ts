import { setRoutingLogger } from '../logger';
import type { NodeRegistry } from '../node-registry.service';
import type { ReplicaStatusStore } from '../replica-status.store';
import type { TopologyDiscovery } from '../topology/topology-discovery.service';
import type { ReplicaProbe } from './replica-probe.service';
import { ReplicaObserver } from './replica.observer';
import { resolveObserverOptions } from './replica-observer.options';

const url = 'postgres://127.0.0.1:1/x';

/** An observer whose probes find a reachable primary and whose saves succeed. */
function observer(
  heartbeatFile?: string,
  discoveryStartMs = 0,
  save: () => Promise<void> = () => Promise.resolve(),
): ReplicaObserver {
  const options = resolveObserverOptions({ primary: { url }, replicas: [], heartbeatFile });
  const probe = {
    probeAll: () =>
      Promise.resolve([
        {
          name: 'primary',
          role: 'primary',
          lsn: 1n,
          observedAt: Date.now(),
          reachable: true,
          lagBytes: null,
          lagSeconds: null,
          error: null,
        },
      ]),
  } as unknown as ReplicaProbe;
  const store = { save } as unknown as ReplicaStatusStore;
  const registry = { replicaNames: [], close: () => Promise.resolve() } as unknown as NodeRegistry;
  const discovery = {
    start: () => new Promise((resolve) => setTimeout(resolve, discoveryStartMs)),
    stop: () => Promise.resolve(),
    refresh: () => Promise.resolve(),
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
    const o = observer('/nonexistent-dir/observer.heartbeat');
    await expect(o.tick()).resolves.toHaveLength(1);
    await expect(o.tick()).resolves.toHaveLength(1);
    expect(warnings.filter((w) => /heartbeat/.test(w))).toHaveLength(1);
    await o.close();
  });

  it('says once, not every tick, that it cannot save the statuses with the primary up', async () => {
    const missing = () => Promise.reject(new Error('relation "replica_statuses" does not exist'));
    const o = observer(undefined, 0, missing);
    for (let i = 0; i < 5; i++) await o.tick();
    expect(warnings.filter((w) => /cannot save statuses/.test(w))).toHaveLength(1);
    await o.close();
  });

  it('stopped while its discovery starts: schedules no tick', async () => {
    const o = observer(undefined, 20);
    const starting = o.start();
    await o.stop();
    await starting;
    const { timer } = o as unknown as { timer?: NodeJS.Timeout };
    clearInterval(timer);
    expect(timer).toBeUndefined();
    await o.close();
  });
});
