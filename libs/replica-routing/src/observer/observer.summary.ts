import type { ReplicaStatusRow } from '../interfaces/replica-status.interface';
import { formatLsn } from '../lsn.util';

/**
 * The lines worth printing at once: a node that went down (or out of its
 * role) or came back. The first observation of a node that is up says nothing.
 */
export class NodeChanges {
  private readonly down = new Map<string, boolean>();

  update(rows: readonly ReplicaStatusRow[]): string[] {
    const lines: string[] = [];
    for (const row of rows) {
      const wasDown = this.down.get(row.name);
      const isDown = !row.reachable;
      this.down.set(row.name, isDown);
      if (isDown && wasDown !== true)
        lines.push(`${row.name} is DOWN (${row.error ?? 'no answer'})`);
      if (!isDown && wasDown === true) lines.push(`${row.name} is back`);
    }
    return lines;
  }
}

/** One tick in one short line: `primary 0/19A3018; lag replica0 0B, replica1 120B, replica2 DOWN (connect ECONNREFUSED)` */
export function summarize(rows: readonly ReplicaStatusRow[]): string {
  const down = (row: ReplicaStatusRow) => `${row.name} DOWN (${(row.error ?? '').slice(0, 40)})`;
  const primary = rows.find((r) => r.role === 'primary');
  const head = !primary
    ? 'primary ?'
    : primary.reachable && primary.lsn !== null
      ? `primary ${formatLsn(primary.lsn)}`
      : down(primary);
  const replicas = rows
    .filter((r) => r.role === 'replica')
    .map((r) => {
      if (!r.reachable) return down(r);
      if (r.lagBytes !== null) return `${r.name} ${r.lagBytes}B`;
      return `${r.name} at ${r.lsn === null ? '-' : formatLsn(r.lsn)}`;
    });
  return `${head}; lag ${replicas.join(', ')}`;
}
