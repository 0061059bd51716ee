import { Topology } from './topology/topology.service';
import type { ReplicaStatusRow } from './interfaces/replica-status.interface';
import { parseLsn } from './lsn.util';
import type { NodeRegistry } from './node-registry.service';
import { NodeState } from './node-state.service';
import { resolveOptions } from './replica-routing.options';
import type { ReplicaStatusStore } from './replica-status.store';
import { StatusRefresher } from './status-refresher.service';
import { routingMetrics } from './metrics/routing.metrics';
import { setRoutingLogger } from './logger';

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
  lagSeconds: 0,
  error: null,
});

describe('StatusRefresher', () => {
  // Its rows are stamped near the epoch: the silent-observer warning would fill the output.
  beforeAll(() => {
    const quiet = () => undefined;
    setRoutingLogger(() => ({ log: quiet, warn: quiet, error: quiet }));
  });

  const options = resolveOptions({
    primary: { url: 'postgres://p' },
    replicas: [{ name: 'replica0', url: 'postgres://r0' }],
    primaryCooldownMs: 30_000,
  });
  // The fake registry's queries answer with their node's name, so the store can
  // tell which node it was asked to read from.
  const registry = {
    names: ['primary', 'replica0'],
    replicaNames: ['replica0'],
    query: (name: string) => Promise.resolve(name),
  } as unknown as NodeRegistry;
  let asked: string[];
  /** What the status table holds (the fake primary refuses; replica0 serves its copy). */
  let table: ReplicaStatusRow[];
  let state: NodeState;
  let refresher: StatusRefresher;

  beforeEach(() => {
    asked = [];
    table = [row('replica0', '0/5000', 1000)];
    const store = {
      load: async (query: (text: string) => Promise<unknown>) => {
        const node = await query('SELECT');
        asked.push(node as string);
        if (node === 'primary') return Promise.reject(new Error('connect ECONNREFUSED'));
        return Promise.resolve(table);
      },
    } as unknown as ReplicaStatusStore;
    state = new NodeState(options, new Topology(options));
    refresher = new StatusRefresher(options, registry, store, state);
  });

  it('reads from the primary first and falls back to a replica’s copy', async () => {
    await refresher.refresh();
    expect(asked).toEqual(['primary', 'replica0']);
    expect(state.get('replica0').lsn).toBe(parseLsn('0/5000'));
  });

  it('refuses rows stamped in its future beyond 1 s (clock skew), and takes a nearer one as of now', async () => {
    state.now = () => 100_000;
    // The observer's clock runs 5 s ahead: its primary sample would pass for fresh 5 s too long,
    // and hide the router's own, truly newer samples.
    table = [row('primary', '0/9000', 105_000), row('replica0', '0/9000', 105_000)];
    await refresher.refresh();
    expect(state.primaryPositionSince(99_000)).toBeNull();
    expect(state.get('replica0').lsn).toBeNull();
    // The observer stopped there: 4.5 s later its stamp is near, and the row as old as ever.
    state.now = () => 104_500;
    await refresher.refresh();
    expect(state.primaryPositionSince(103_500)).toBeNull();
    expect(state.get('replica0').lsn).toBeNull();
    // The router's own sample is not hidden by the refused one.
    state.observePrimary(parseLsn('0/8000'), 104_500);
    expect(state.primaryPositionSince(104_500)).toBe(parseLsn('0/8000'));
    // 300 ms ahead: within what clocks disagree by; stamped as of this process's now.
    table = [row('primary', '0/9100', 104_800), row('replica0', '0/9100', 104_800)];
    await refresher.refresh();
    expect(state.get('primary').observedAt).toBe(104_500);
    expect(state.get('replica0')).toMatchObject({ lsn: parseLsn('0/9100'), observedAt: 104_500 });
  });

  it('says so, once a minute, when rows come from a clock far ahead or from a silent observer', async () => {
    const warned: string[] = [];
    const quiet = () => undefined;
    setRoutingLogger(() => ({ log: quiet, warn: (m) => warned.push(m), error: quiet }));
    let now = 100_000;
    state.now = () => now;
    table = [row('replica0', '0/9000', 105_000)];
    await refresher.refresh();
    await refresher.refresh();
    expect(warned).toEqual([expect.stringMatching(/1 status rows 5000 ms after this process/)]);
    table = [row('replica0', '0/9000', 60_000)];
    await refresher.refresh();
    now += 1000;
    await refresher.refresh();
    expect(warned).toHaveLength(2);
    expect(warned[1]).toMatch(/newest replica status row is 40 s old: is the observer running/);
  });

  it('skips a primary behind its breaker', async () => {
    state.recordFailure('primary', new Error('connect ECONNREFUSED'));
    await refresher.refresh();
    expect(asked).toEqual(['replica0']);
    expect(state.get('replica0').lsn).toBe(parseLsn('0/5000'));
  });

  it('keeps what it has when every node is benched', async () => {
    await refresher.refresh();
    state.recordFailure('primary', new Error('down'));
    for (let i = 0; i < options.replicaFailureThreshold; i++)
      state.recordFailure('replica0', new Error('down'));
    asked = [];
    await refresher.refresh();
    expect(asked).toEqual([]);
    expect(state.get('replica0').lsn).toBe(parseLsn('0/5000'));
  });

  it('shows a node that left the roles as unavailable, with no lag, not as it last was', async () => {
    const names = ['primary', 'gone'];
    const moving = {
      get names() {
        return names;
      },
      get replicaNames() {
        return names.filter((n) => n !== 'primary');
      },
      query: () => Promise.resolve('primary'),
    } as unknown as NodeRegistry;
    const store = { load: () => Promise.resolve([]) } as unknown as ReplicaStatusStore;
    const gauges = new StatusRefresher(options, moving, store, state);
    routingMetrics.nodeAvailable.set({ node: 'gone' }, 1);
    routingMetrics.lagBytes.set({ node: 'gone' }, 42);
    await gauges.refresh();
    names.pop(); // 'gone' is no replica any more (a failover, say)
    await gauges.refresh();
    const available = (await routingMetrics.nodeAvailable.get()).values;
    expect(available.find((v) => v.labels.node === 'gone')?.value).toBe(0);
    const lag = (await routingMetrics.lagBytes.get()).values;
    expect(lag.find((v) => v.labels.node === 'gone')).toBeUndefined();
  });

  it('moves on to a replica when the primary stops answering, within connectTimeoutMs', async () => {
    const quick = resolveOptions({
      primary: { url: 'postgres://p' },
      replicas: [{ name: 'replica0', url: 'postgres://r0' }],
      connectTimeoutMs: 50,
    });
    const hung = {
      load: async (query: (text: string) => Promise<unknown>) => {
        const node = await query('SELECT');
        // A black-holed primary: its query would only end at its own timeout.
        return node === 'primary' ? new Promise(() => undefined) : table;
      },
    } as unknown as ReplicaStatusStore;
    const fresh = new NodeState(quick, new Topology(quick));
    await new StatusRefresher(quick, registry, hung, fresh).refresh();
    expect(fresh.get('replica0').lsn).toBe(parseLsn('0/5000'));
  });

  it('leaves a node alone while its last status query is still out (each holds a pooled connection)', async () => {
    const quick = resolveOptions({
      primary: { url: 'postgres://p' },
      replicas: [{ name: 'replica0', url: 'postgres://r0' }],
      connectTimeoutMs: 20,
    });
    const sent: string[] = [];
    const hung = {
      load: async (query: (text: string) => Promise<unknown>) => {
        const node = await query('SELECT');
        sent.push(node as string);
        return node === 'primary' ? new Promise(() => undefined) : table;
      },
    } as unknown as ReplicaStatusStore;
    const refresher = new StatusRefresher(
      quick,
      registry,
      hung,
      new NodeState(quick, new Topology(quick)),
    );
    for (let i = 0; i < 5; i++) await refresher.refresh();
    expect(sent.filter((n) => n === 'primary')).toHaveLength(1);
    expect(sent.filter((n) => n === 'replica0')).toHaveLength(5);
  });
});
