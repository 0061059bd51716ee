import type { ReplicaStatusRow } from '../interfaces/replica-status.interface';
import { formatLsn } from '../lsn.util';

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
