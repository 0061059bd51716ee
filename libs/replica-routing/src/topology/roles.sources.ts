import { describeError } from '../db-errors.util';
import type { ResolvedReplicaRoutingOptions } from '../interfaces/replica-routing-options.interface';
import { addressOf, probeRole } from './host-probe';
import { leaderOf, patroniCluster, standbysOf } from './patroni.client';
import type { Roles, Topology } from './topology.service';

/** What a source of roles reads and where it reports a problem (logged once by discovery). */
export interface RoleSource {
  options: ResolvedReplicaRoutingOptions;
  topology: Topology;
  note(problem: string): void;
}

/**
 * From Patroni's `GET /cluster`, the first of `patroniUrls` that answers: the
 * HA manager knows best, and answers without a database connection.
 * Undefined when none answers, or its leader is none of the hosts. A member
 * whose view names a leader on a timeline older than the one known (a view
 * from before a failover: a partitioned member, a stale cache) is passed over.
 */
export async function rolesFromPatroni(from: RoleSource): Promise<Roles | undefined> {
  for (const url of from.options.patroniUrls) {
    try {
      const members = await patroniCluster(url, from.options.connectTimeoutMs);
      const leader = leaderOf(members);
      const name = (m: { name: string; host: string | null; port: number | null }) =>
        from.topology.hosts.find((h) => h.name === m.name)?.name ??
        from.topology.hosts.find((h) => addressOf(h) === `${m.host}:${m.port}`)?.name;
      const known = from.topology.timeline;
      if (leader?.timeline != null && known !== null && leader.timeline < known) {
        from.note(
          `Patroni ${url} names ${leader.name} leader on timeline ${leader.timeline}, older than ${known}: a stale view`,
        );
        continue;
      }
      const primary = leader ? (name(leader) ?? null) : null;
      if (leader && primary === null) {
        // Its name and connect_address match no host: ask the hosts themselves.
        from.note(
          `Patroni's leader ${leader.name} (${leader.host}:${leader.port}) is none of the hosts; asking them`,
        );
        return undefined;
      }
      return {
        primary,
        replicas: standbysOf(members)
          .map(name)
          .filter((n): n is string => n !== undefined),
        timeline: leader?.timeline ?? null,
      };
    } catch (error) {
      from.note(`Patroni ${url}: ${describeError(error)}`);
    }
  }
  return undefined;
}

/** Every host in parallel; undefined when none answered (nothing learned: keep what is known). */
export async function rolesFromHosts(from: RoleSource): Promise<Roles | undefined> {
  const hosts = from.topology.hosts;
  const answers = await Promise.allSettled(
    hosts.map((h) => probeRole(h, from.options.connectTimeoutMs)),
  );
  const up = hosts
    .map((host, i) => ({ host, answer: answers[i]! }))
    .filter((x) => x.answer.status === 'fulfilled')
    .map((x) => ({
      host: x.host,
      role: (x.answer as PromiseFulfilledResult<{ standby: boolean; tli: number | null }>).value,
    }));
  if (up.length === 0) {
    from.note('no host answered');
    return undefined;
  }
  // A primary on a timeline older than the cluster's is a former one, not stopped yet: never bound.
  const known = from.topology.timeline;
  const former = (tli: number | null) => known !== null && tli !== null && tli < known;
  for (const x of up.filter((x) => !x.role.standby && former(x.role.tli)))
    from.note(
      `${x.host.name} is a primary on timeline ${x.role.tli}, behind the cluster's ${known}`,
    );
  const primaries = up
    .filter((x) => !x.role.standby && !former(x.role.tli))
    .sort((a, b) => (b.role.tli ?? 0) - (a.role.tli ?? 0));
  // Two primaries: the one on the later timeline was promoted; the other is a former primary
  // that has not been stopped yet. On the same timeline neither can be trusted with writes.
  const [first, second] = primaries;
  const ambiguous = second !== undefined && second.role.tli === first!.role.tli;
  if (ambiguous)
    from.note(
      `several hosts are primaries on timeline ${first!.role.tli}: ${primaries.map((p) => p.host.name).join(', ')}`,
    );
  const primary = first && !ambiguous ? first : undefined;
  // A primary that did not answer this time (slow, a blip) keeps its role while no other
  // host claims it: its own failures are what the breaker and the writers' wait are for.
  const current = from.topology.primaryHost;
  const silent = current !== null && !up.some((x) => x.host.name === current);
  // Replicas likewise: one probe that timed out (a busy node) drops no pool.
  const silentReplicas = from.topology.replicas
    .map((r) => r.name)
    .filter((n) => !up.some((x) => x.host.name === n));
  return {
    primary: primary?.host.name ?? (silent && !ambiguous ? current : null),
    replicas: [...up.filter((x) => x.role.standby).map((x) => x.host.name), ...silentReplicas],
    timeline: primary?.role.tli ?? null,
  };
}
