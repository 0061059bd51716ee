import { ClientTokenGate } from './client-token.gate';
import { ConsistencyTokens } from './consistency-tokens.service';
import type { ReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import { NodeExecutor } from './node-executor.service';
import { NodeRegistry } from './node-registry.service';
import { NodeState } from './node-state.service';
import { ElectionWait } from './election.wait';
import { NodeObservations } from './node.observations';
import { ReadFlow } from './read.flow';
import { ReplicaRouter } from './replica-router.service';
import { WriteFlow } from './write.flow';
import { resolveOptions } from './replica-routing.options';
import { ReplicaSelector } from './replica-selector.service';
import { ReplicaStatusStore } from './replica-status.store';
import { ReplicaStatusView } from './replica-status.view';
import { RoutingContext } from './routing-context.service';
import type { RoutingAdapter } from './routing.adapter';
import { StatusRefresher } from './status-refresher.service';
import { TopologyDiscovery } from './topology/topology-discovery.service';
import { Topology } from './topology/topology.service';

/** One routing core: what `createReplicaRouting` builds, and what the Nest module provides. */
export interface ReplicaRouting<H> {
  /** Reads, writes, scopes, tokens: the front door. */
  readonly router: ReplicaRouter<H>;
  /** Formats and parses consistency tokens (signed with `tokenSecret`). */
  readonly tokens: ConsistencyTokens;
  /** The routing scope of the current request or job (AsyncLocalStorage). */
  readonly context: RoutingContext;
  /** Per-node state for an operator and a readiness probe. */
  readonly status: ReplicaStatusView;
  /** Starts discovery (with `hosts`) and the status refresh. */
  start(): Promise<void>;
  /** Stops them, and closes every pool once work in flight is done. */
  close(): Promise<void>;
}

/** Internals the Nest glue and the library's tests reach; not part of the public API. */
export interface RoutingParts<H> extends ReplicaRouting<H> {
  readonly registry: NodeRegistry;
  readonly topology: Topology;
  readonly discovery: TopologyDiscovery;
  readonly state: NodeState;
  readonly refresher: StatusRefresher;
  readonly store: ReplicaStatusStore;
  readonly executor: NodeExecutor<H>;
  /** Stops the timers (discovery, status refresh) without closing the pools. */
  stop(): Promise<void>;
}

/** Test seams: a part built otherwise (a router broken on purpose). */
export interface RoutingInternals {
  Executor?: typeof NodeExecutor;
}

/**
 * Builds the routing core for `adapter`'s handles (docs/api.md):
 * `createReplicaRouting({ primary, replicas }, pgAdapter())`. Call `start()`
 * once, and `close()` on shutdown.
 */
export function createReplicaRouting<H>(
  options: ReplicaRoutingOptions,
  adapter: RoutingAdapter<H>,
): ReplicaRouting<H> {
  const parts = createRoutingParts(options, adapter);
  return {
    router: parts.router,
    tokens: parts.tokens,
    context: parts.context,
    status: parts.status,
    start: () => parts.start(),
    close: () => parts.close(),
  };
}

/** {@link createReplicaRouting} with every part in reach: for the Nest glue and the library's tests. */
export function createRoutingParts<H>(
  options: ReplicaRoutingOptions,
  adapter: RoutingAdapter<H>,
  internals: RoutingInternals = {},
): RoutingParts<H> {
  const resolved = resolveOptions(options);
  const topology = new Topology(resolved);
  const discovery = new TopologyDiscovery(resolved, topology);
  const state = new NodeState(resolved, topology);
  const registry = new NodeRegistry(resolved, topology, adapter);
  const store = new ReplicaStatusStore(resolved);
  const refresher = new StatusRefresher(resolved, registry, store, state);
  const executor = new (internals.Executor ?? NodeExecutor)<H>(resolved, registry, adapter);
  const tokens = new ConsistencyTokens(resolved);
  const context = new RoutingContext(topology);
  const gate = new ClientTokenGate(tokens, state, executor, topology, discovery);
  const observations = new NodeObservations(state, tokens, topology, discovery);
  const election = new ElectionWait(resolved, topology, discovery);
  const reads = new ReadFlow<H>(
    resolved,
    context,
    new ReplicaSelector(resolved, state),
    executor,
    state,
    tokens,
    topology,
    discovery,
    observations,
    election,
  );
  const writes = new WriteFlow<H>(
    resolved,
    context,
    executor,
    state,
    topology,
    observations,
    discovery,
  );
  const router = new ReplicaRouter<H>(context, tokens, gate, reads, writes, election, discovery);

  const status = new ReplicaStatusView(resolved, state, registry, refresher);
  const stop = async () => {
    await Promise.all([discovery.stop(), refresher.stop()]);
  };
  return {
    router,
    tokens,
    context,
    status,
    registry,
    topology,
    discovery,
    state,
    refresher,
    store,
    executor,
    async start() {
      await discovery.start();
      refresher.start();
    },
    stop,
    async close() {
      await stop();
      await registry.close();
    },
  };
}
