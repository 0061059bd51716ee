import type { ReplicaObserverModuleOptions } from '../interfaces/replica-observer-options.interface';
import { NodeRegistry } from '../node-registry.service';
import { ReplicaStatusStore } from '../replica-status.store';
import { TopologyDiscovery } from '../topology/topology-discovery.service';
import { Topology } from '../topology/topology.service';
import { observerNodeOptions, resolveObserverOptions } from './replica-observer.options';
import { ReplicaObserver } from './replica.observer';
import { ReplicaProbe } from './replica-probe.service';

/**
 * The observer, for any app: `const observer = createReplicaObserver({ primary,
 * replicas }); await observer.start();` ... `await observer.close()`. Run it in
 * one process per cluster; it writes the status table every router reads.
 * Its pools are its own plain node-postgres pools.
 */
export function createReplicaObserver(options: ReplicaObserverModuleOptions): ReplicaObserver {
  const nodes = observerNodeOptions(options);
  const topology = new Topology(nodes);
  const registry = new NodeRegistry(nodes, topology, {});
  return new ReplicaObserver(
    resolveObserverOptions(options),
    new ReplicaProbe(registry),
    new ReplicaStatusStore(nodes),
    registry,
    new TopologyDiscovery(nodes, topology),
  );
}
