import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type { ReplicaStatusRow } from './interfaces/replica-status.interface';
import { formatLsn, parseDbLsn } from './lsn.util';

interface RawRow {
  name: string;
  role: 'primary' | 'replica';
  lsn: string | null;
  observed_ms: number;
  reachable: boolean;
  lag_bytes: string | null;
  lag_seconds: number | null;
  last_error: string | null;
}

/** Runs one statement on a node (`NodeRegistry.query`). */
export type StatusQuery = <R>(sql: string, values?: unknown[]) => Promise<R[]>;

/** Reads and writes the status table (see `CreateReplicaStatuses` migration). */
export class ReplicaStatusStore {
  private readonly table: string;

  constructor(options: ResolvedReplicaRoutingOptions) {
    this.table = options.statusTable; // validated as a plain identifier
  }

  async load(query: StatusQuery): Promise<ReplicaStatusRow[]> {
    const rows = await query<RawRow>(
      `SELECT name, role, last_lsn::text AS lsn, lag_bytes::text AS lag_bytes, lag_seconds, reachable, last_error,
              (extract(epoch FROM observed_at) * 1000)::float8 AS observed_ms
         FROM ${this.table}`,
    );
    return rows.map((r) => ({
      name: r.name,
      role: r.role,
      lsn: parseDbLsn(r.lsn),
      observedAt: Number(r.observed_ms),
      reachable: r.reachable,
      lagBytes: r.lag_bytes === null ? null : Number(r.lag_bytes),
      lagSeconds: r.lag_seconds === null ? null : Number(r.lag_seconds),
      error: r.last_error,
    }));
  }

  /**
   * Upserts all rows in one statement. A node that could not be reached keeps its
   * last known position (still a lower bound of what it had replayed).
   */
  async save(query: StatusQuery, rows: readonly ReplicaStatusRow[]): Promise<void> {
    if (rows.length === 0) return;
    await query(
      `INSERT INTO ${this.table} AS t (name, role, last_lsn, observed_at, reachable, lag_bytes, last_error, lag_seconds)
       SELECT * FROM unnest($1::text[], $2::text[], $3::pg_lsn[], $4::timestamptz[], $5::bool[], $6::bigint[], $7::text[], $8::float8[])
       ON CONFLICT (name) DO UPDATE SET
         role = excluded.role,
         last_lsn = COALESCE(excluded.last_lsn, t.last_lsn),
         lag_bytes = CASE WHEN excluded.reachable THEN excluded.lag_bytes ELSE t.lag_bytes END,
         lag_seconds = CASE WHEN excluded.reachable THEN excluded.lag_seconds ELSE t.lag_seconds END,
         observed_at = excluded.observed_at,
         reachable = excluded.reachable,
         last_error = excluded.last_error`,
      [
        rows.map((r) => r.name),
        rows.map((r) => r.role),
        rows.map((r) => (r.lsn === null ? null : formatLsn(r.lsn))),
        rows.map((r) => new Date(r.observedAt).toISOString()),
        rows.map((r) => r.reachable),
        rows.map((r) => (r.lagBytes === null ? null : String(r.lagBytes))),
        rows.map((r) => r.error),
        rows.map((r) => r.lagSeconds),
      ],
    );
  }
}
