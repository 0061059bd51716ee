import { Topology } from './topology/topology.service';
import type { NodeRegistry } from './node-registry.service';
import { NodeState } from './node-state.service';
import { parseLsn } from './lsn.util';
import { resolveOptions } from './replica-routing.options';
import { ReplicaStatusView } from './replica-status.view';
import type { StatusRefresher } from './status-refresher.service';

describe('ReplicaStatusView.readiness', () => {
  const options = resolveOptions({
    primary: { url: 'postgres://p' },
    replicas: [{ name: 'r0', url: 'postgres://r0' }],
    statusRefreshMs: 250,
  });
  let now: number;
  let state: NodeState;
  const refresher = { lastRefreshedAt: undefined as number | undefined };
  const view = () =>
    new ReplicaStatusView(
      options,
      state,
      {
        queryCount: () => ({}),
        names: ['primary', ...options.replicas.map((r) => r.name)],
        replicaNames: options.replicas.map((r) => r.name),
      } as unknown as NodeRegistry,
      refresher as StatusRefresher,
    );

  beforeEach(() => {
    now = 1_000_000;
    state = new NodeState(options, new Topology(options));
    state.now = () => now;
    state.elapsed = () => now;
    refresher.lastRefreshedAt = now;
    state.applyStatusRows([
      {
        name: 'r0',
        role: 'replica',
        lsn: parseLsn('0/10'),
        observedAt: now,
        reachable: true,
        lagBytes: 0,
        lagSeconds: 0,
        error: null,
      },
    ]);
  });

  it('is ready with fresh positions, and with the primary down while a replica can serve', () => {
    expect(view().readiness()).toEqual({ ready: true, reasons: [] });
    state.recordFailure('primary', new Error('ECONNREFUSED'));
    expect(view().readiness().ready).toBe(true);
  });

  it('is not ready when no node can serve', () => {
    state.recordFailure('primary', new Error('ECONNREFUSED'));
    for (let i = 0; i < options.replicaFailureThreshold; i++)
      state.recordFailure('r0', new Error('ECONNREFUSED'));
    expect(view().readiness()).toEqual({
      ready: false,
      reasons: [expect.stringMatching(/^the primary is benched .* and no replica can serve$/)],
    });
  });

  it('ages the positions on the monotonic clock: a wall clock stepped back keeps old ones old', () => {
    let elapsed = now;
    state.elapsed = () => elapsed;
    now -= 3_600_000;
    elapsed += 5001;
    expect(view().readiness().reasons).toEqual([
      'replica positions are 5001 ms old (more than 5000 ms)',
    ]);
  });

  it('is not ready when the positions are older than the bound, or were never loaded', () => {
    now += 5001;
    expect(view().readiness().reasons).toEqual([
      'replica positions are 5001 ms old (more than 5000 ms)',
    ]);
    refresher.lastRefreshedAt = undefined;
    expect(view().readiness().reasons).toEqual([
      'replica positions were never loaded from the status table',
    ]);
  });

  it('is not ready with hosts until a host was found to be the primary, with no replica known', () => {
    const hosts = resolveOptions({
      hosts: [
        { name: 'pg0', url: 'postgres://pg0' },
        { name: 'pg1', url: 'postgres://pg1' },
      ],
    });
    const topology = new Topology(hosts);
    const discovering = new ReplicaStatusView(
      hosts,
      new NodeState(hosts, topology),
      { queryCount: () => ({}), names: ['primary'], replicaNames: [] } as unknown as NodeRegistry,
      refresher as StatusRefresher,
    );
    expect(discovering.readiness()).toEqual({
      ready: false,
      reasons: [
        'the primary is unknown: no host has been found to be the primary yet, and no replica can serve',
      ],
    });
    // An election later: writes wait it out in the process (ElectionWait), which stays ready.
    topology.apply({ primary: 'pg0', replicas: [], timeline: 1 });
    topology.apply({ primary: null, replicas: [], timeline: null });
    expect(discovering.readiness()).toEqual({ ready: true, reasons: [] });
  });
});
