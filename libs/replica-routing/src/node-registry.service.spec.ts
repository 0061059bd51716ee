import type { Pool } from 'pg';
import { setRoutingLogger } from './logger';
import { NodeRegistry } from './node-registry.service';
import { resolveOptions } from './replica-routing.options';
import { Topology } from './topology/topology.service';

/** A pool whose first connection is answered when the test says; `endWhen` holds its end. */
function fakePool(endWhen: Promise<void> = Promise.resolve()) {
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
      return endWhen;
    },
  };
  return { pool, answer };
}

describe('NodeRegistry', () => {
  beforeAll(() => {
    const quiet = () => undefined;
    setRoutingLogger(() => ({ log: quiet, warn: quiet, error: quiet }));
  });

  /** A registry over hosts a (primary) and b (replica); its n-th pool is `fakePool(endOf(n))`. */
  function registryOf(endOf: (n: number) => Promise<void> = () => Promise.resolve()) {
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
        const made = fakePool(endOf(opened.length));
        opened.push(made);
        return Promise.resolve(made.pool as unknown as Pool);
      },
    });
    return { registry, topology, opened };
  }

  /**
   * A connect of b's pool, then b leaves the replicas and comes back before it
   * has connected, then a second connect: both pending, in that order.
   */
  async function movedMidConnect(registry: NodeRegistry, topology: Topology) {
    const first = registry.get('b');
    await new Promise(setImmediate);
    topology.apply({ primary: 'a', replicas: [], timeline: 1 });
    topology.apply({ primary: 'a', replicas: ['b'], timeline: 1 });
    const second = registry.get('b');
    await new Promise(setImmediate);
    return [first, second] as const;
  }

  it('keeps one pool per role when the role moves away and back while a pool connects', async () => {
    const { registry, topology, opened } = registryOf();

    const [first, second] = await movedMidConnect(registry, topology);
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

  it("hands the role's pool back at once, not after closing its own (a close meanwhile would end it)", async () => {
    // Ending a pool takes a while here: the duplicate's end must not hold the caller.
    const { registry, topology, opened } = registryOf(() => new Promise(() => undefined));
    const [first, second] = await movedMidConnect(registry, topology);
    opened[1]!.answer();
    await second;
    opened[0]!.answer();
    await expect(first).resolves.toBe(opened[1]!.pool);
    expect(opened[1]!.pool.ended).toBe(0);
  });

  it('waits, when closed, for the duplicate pool it is still closing', async () => {
    // The first pool ends up the duplicate: its end waits for the test.
    let ended!: () => void;
    const held = new Promise<void>((r) => (ended = r));
    const { registry, topology, opened } = registryOf((n) => (n === 0 ? held : Promise.resolve()));
    const [first, second] = await movedMidConnect(registry, topology);
    opened[1]!.answer();
    await second;
    opened[0]!.answer();
    await first;
    let closed = false;
    const closing = registry.close().then(() => (closed = true));
    await new Promise(setImmediate);
    expect(closed).toBe(false);
    ended();
    await closing;
    expect(opened.map((o) => o.pool.ended)).toEqual([1, 1]);
  });

  it('runs its own statements on a pool of one connection with the settings the adapter gave', async () => {
    const { registry, opened } = registryOf();
    const got = registry.get('b');
    await new Promise(setImmediate);
    const work = opened[0]!;
    // What an adapter's pool carries that the node's URL may not (pg-pool hides the password).
    const options = { host: '127.0.0.1', port: 1, application_name: 'x' };
    Object.defineProperty(options, 'password', { value: 's3cret', enumerable: false });
    Object.assign(work.pool, { options });
    work.answer();
    await got;
    await expect(registry.query('b', 'SELECT 1')).rejects.toThrow();
    const own = (registry as unknown as { own: Map<string, Pool> }).own.get('b')!;
    expect(own).not.toBe(work.pool);
    expect(own.options).toMatchObject({ host: '127.0.0.1', port: 1, max: 1, password: 's3cret' });
    await registry.close();
    expect(own.ended).toBe(true);
  });
});
