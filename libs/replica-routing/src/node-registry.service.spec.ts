import type { Pool } from 'pg';
import { setRoutingLogger } from './logger';
import { NodeRegistry } from './node-registry.service';
import { resolveOptions } from './replica-routing.options';
import { Topology } from './topology/topology.service';

/** A pool whose first connection is answered when the test says. */
function fakePool() {
  let answer!: () => void;
  const connected = new Promise<void>((resolve) => (answer = resolve));
  const pool = {
    ended: 0,
    on: () => pool,
    connect: async () => {
      await connected;
      return { release: () => undefined };
    },
    end: () => {
      pool.ended++;
      return Promise.resolve();
    },
  };
  return { pool, answer };
}

describe('NodeRegistry', () => {
  beforeAll(() => {
    const quiet = () => undefined;
    setRoutingLogger(() => ({ log: quiet, warn: quiet, error: quiet }));
  });

  it('keeps one pool per role when the role moves away and back while a pool connects', async () => {
    const options = resolveOptions({
      hosts: [
        { name: 'a', url: 'postgres://127.0.0.1:1/x' },
        { name: 'b', url: 'postgres://127.0.0.1:2/x' },
      ],
    });
    const topology = new Topology(options);
    topology.apply({ primary: 'a', replicas: ['b'], timeline: 1 });
    const opened: ReturnType<typeof fakePool>[] = [];
    const registry = new NodeRegistry(options, topology, {
      openPool: () => {
        const made = fakePool();
        opened.push(made);
        return Promise.resolve(made.pool as unknown as Pool);
      },
    });

    const first = registry.get('b');
    await new Promise(setImmediate);
    // b leaves the replicas and comes back before its first pool has connected.
    topology.apply({ primary: 'a', replicas: [], timeline: 1 });
    topology.apply({ primary: 'a', replicas: ['b'], timeline: 1 });
    const second = registry.get('b');
    await new Promise(setImmediate);
    expect(opened).toHaveLength(2);
    opened[1]!.answer();
    opened[0]!.answer();
    const pools = await Promise.all([first, second]);

    // Both callers use the pool the registry holds; the other one is closed, not leaked.
    expect(pools[0]).toBe(pools[1]);
    expect(registry.ready('b')).toBe(pools[0]);
    expect(opened.map((o) => o.pool.ended).sort()).toEqual([0, 1]);
    await registry.close();
    expect(opened.map((o) => o.pool.ended)).toEqual([1, 1]);
  });
});
