import { describeError } from '../db-errors.util';
import type { ReplicaStatusRow } from '../interfaces/replica-status.interface';
import type { Lsn } from '../lsn.util';
import type { NodeRegistry } from '../node-registry.service';
import { nodePosition } from '../postgres/wal.queries';
import { PRIMARY_NODE } from '../replica-routing.constants';
import { within } from '../within';

/** The error of a "replica" row whose node is not in recovery (promoted, misconfigured). */
export const NOT_A_STANDBY = 'node is not in recovery (not a standby)';

interface Probe {
  lsn: Lsn | null;
  standby: boolean;
  lagSeconds: number | null;
}

/**
 * Asks every node where it is, all in parallel and each within a deadline, so
 * that one dead or slow node delays nothing. The observer's eyes.
 */
export class ReplicaProbe {
  constructor(private readonly registry: NodeRegistry) {}

  async probeAll(timeoutMs: number): Promise<ReplicaStatusRow[]> {
    const names = this.registry.names;
    // Stamped before the probes are sent, not once the slowest has answered: the primary's
    // position covers every commit that finished before its stamp (freshWithinMs relies on it).
    const observedAt = Date.now();
    const results = await Promise.allSettled(names.map((n) => this.probe(n, timeoutMs)));
    const primary = results[0]!.status === 'fulfilled' ? results[0]!.value.lsn : null;
    return names.map((name, i) => {
      const result = results[i]!;
      const role = name === PRIMARY_NODE ? 'primary' : 'replica';
      if (result.status === 'rejected') {
        return {
          name,
          role,
          lsn: null,
          observedAt,
          reachable: false,
          lagBytes: null,
          lagSeconds: null,
          error: describeError(result.reason),
        };
      }
      const { lsn, standby, lagSeconds } = result.value;
      const wrongRole = standby !== (role === 'replica');
      return {
        name,
        role,
        // A "replica" that is not in recovery (promoted, misconfigured) gets no position: never routed to.
        lsn: wrongRole ? null : lsn,
        observedAt,
        reachable: !wrongRole,
        lagBytes:
          role === 'replica' && primary !== null && lsn !== null
            ? Number(primary > lsn ? primary - lsn : 0n)
            : null,
        lagSeconds: role === 'replica' && !wrongRole ? lagSeconds : null,
        error: wrongRole ? (standby ? 'node is in recovery (not a primary)' : NOT_A_STANDBY) : null,
      };
    });
  }

  private probe(name: string, timeoutMs: number): Promise<Probe> {
    return within(this.query(name), timeoutMs);
  }

  private async query(name: string): Promise<Probe> {
    return nodePosition(this.registry.queryable(name));
  }
}
