import type { LogEnvelope } from './log.envelope';

/** A node-postgres client (the streamer's lease session), as far as the store uses it. */
export interface SqlSession {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/** The primary's insert position and timeline: at or after every commit visible now. */
const POSITION_SQL =
  "SELECT pg_current_wal_insert_lsn()::text AS lsn, ('x' || substr(pg_walfile_name(pg_current_wal_insert_lsn()), 1, 8))::bit(32)::int AS tli";

// Ordered by the table's seq (a bigint), not this list's text alias of it.
const ENVELOPE_COLUMNS =
  'seq::text AS seq, event_id::text AS event_id, type, version, to_char(occurred_at AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') AS occurred_at, token, payload::text AS payload';

interface EnvelopeRow {
  seq: string;
  event_id: string;
  type: string;
  version: number;
  occurred_at: string;
  token: string;
  payload: string;
}

const toEnvelope = (r: EnvelopeRow): LogEnvelope => ({
  seq: BigInt(r.seq),
  eventId: r.event_id,
  type: r.type,
  version: r.version,
  occurredAt: r.occurred_at,
  token: r.token,
  payload: JSON.parse(r.payload) as unknown,
});

/**
 * The outbox as the streamer sees it, on its lease session: every statement
 * runs on the session that holds the lease, so a streamer that lost it
 * (its session ended) cannot sequence or mark anything.
 */
export class OutboxStore {
  constructor(private readonly db: SqlSession) {}

  /**
   * Gives the next seqs, in staging order, to up to `limit` committed events
   * that have none, in one transaction, with the token `sign` makes of the
   * primary's position now: their commits are visible, so it covers them. A
   * row still uncommitted is not seen and gets a later seq once it commits.
   * Returns how many were sequenced.
   */
  async claim(
    limit: number,
    sign: (position: { lsn: string; tli: number }) => string,
  ): Promise<number> {
    await this.db.query('BEGIN');
    try {
      const { rows: seqRows } = await this.db.query<{ last: string }>(
        'SELECT last_seq::text AS last FROM log_sequence FOR UPDATE',
      );
      const { rows } = await this.db.query<{ id: string }>(
        'SELECT id::text AS id FROM log_outbox WHERE seq IS NULL ORDER BY id LIMIT $1 FOR UPDATE',
        [limit],
      );
      if (rows.length === 0) {
        await this.db.query('COMMIT');
        return 0;
      }
      const { rows: at } = await this.db.query<{ lsn: string; tli: number }>(POSITION_SQL);
      const base = BigInt(seqRows[0]!.last);
      await this.db.query(
        `UPDATE log_outbox o SET seq = $1::bigint + n.ord, token = $2
           FROM unnest($3::bigint[]) WITH ORDINALITY AS n(id, ord) WHERE o.id = n.id`,
        [base.toString(), sign(at[0]!), rows.map((r) => r.id)],
      );
      await this.db.query('UPDATE log_sequence SET last_seq = $1', [
        (base + BigInt(rows.length)).toString(),
      ]);
      await this.db.query('COMMIT');
      return rows.length;
    } catch (error) {
      await this.db.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Sequenced events not yet marked published, in seq order. */
  async unpublished(limit: number): Promise<LogEnvelope[]> {
    const { rows } = await this.db.query<EnvelopeRow>(
      `SELECT ${ENVELOPE_COLUMNS} FROM log_outbox
        WHERE seq IS NOT NULL AND published_at IS NULL ORDER BY log_outbox.seq LIMIT $1`,
      [limit],
    );
    return rows.map(toEnvelope);
  }

  /** Published events with `after < seq <= upTo`, in seq order (for a re-publish). */
  async published(after: bigint, upTo: bigint, limit: number): Promise<LogEnvelope[]> {
    const { rows } = await this.db.query<EnvelopeRow>(
      `SELECT ${ENVELOPE_COLUMNS} FROM log_outbox
        WHERE seq > $1 AND seq <= $2 AND published_at IS NOT NULL ORDER BY log_outbox.seq LIMIT $3`,
      [after.toString(), upTo.toString(), limit],
    );
    return rows.map(toEnvelope);
  }

  async markPublished(upTo: bigint): Promise<void> {
    await this.db.query(
      'UPDATE log_outbox SET published_at = now() WHERE seq <= $1 AND published_at IS NULL',
      [upTo.toString()],
    );
  }

  /** The highest seq published (0 when none is retained). */
  async lastPublished(): Promise<bigint> {
    const { rows } = await this.db.query<{ seq: string }>(
      'SELECT coalesce(max(seq), 0)::text AS seq FROM log_outbox WHERE published_at IS NOT NULL',
    );
    return BigInt(rows[0]!.seq);
  }

  /** The lowest position any consumer has reached; null before any consumer has a state. */
  async slowestConsumer(): Promise<bigint | null> {
    const { rows } = await this.db.query<{ seq: string | null }>(
      'SELECT min(last_seq)::text AS seq FROM consumer_states',
    );
    return rows[0]?.seq == null ? null : BigInt(rows[0].seq);
  }

  /**
   * Deletes published events older than `retentionS` that every consumer has
   * passed; nothing while no consumer has a state. Returns how many.
   */
  async retain(retentionS: number): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(
      `WITH gone AS (
         DELETE FROM log_outbox
          WHERE published_at < now() - make_interval(secs => $1)
            AND seq <= (SELECT min(last_seq) FROM consumer_states)
          RETURNING 1)
       SELECT count(*)::text AS n FROM gone`,
      [retentionS],
    );
    return Number(rows[0]!.n);
  }

  /** Events waiting to be published (staged or sequenced), and the age of the oldest, in s. */
  async backlog(): Promise<{ events: number; oldestS: number }> {
    const { rows } = await this.db.query<{ n: string; oldest: number | null }>(
      `SELECT count(*)::text AS n, extract(epoch FROM now() - min(occurred_at))::float8 AS oldest
         FROM log_outbox WHERE published_at IS NULL`,
    );
    return { events: Number(rows[0]!.n), oldestS: Math.max(0, rows[0]!.oldest ?? 0) };
  }
}
