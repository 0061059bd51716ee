import type { LogEnvelope } from './log.envelope';

/** A node-postgres client (the streamer's lease session), as far as the store uses it. */
export interface SqlSession {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/** The primary's insert position and timeline: at or after every commit visible now. */
const POSITION_COLUMNS =
  "pg_current_wal_insert_lsn()::text AS lsn, ('x' || substr(pg_walfile_name(pg_current_wal_insert_lsn()), 1, 8))::bit(32)::int AS tli";

interface ClaimRow {
  last: string;
  ids: string[];
  lsn: string;
  tli: number;
}

/**
 * An event's time, when it is sequenced: its transaction's commit time
 * (`o.xmin` is the staging transaction: a row lock leaves it) where the
 * server tracks commit timestamps, else the staging insert's clock time.
 */
const COMMITTED_AT =
  "CASE WHEN current_setting('track_commit_timestamp')::bool THEN coalesce(pg_xact_commit_timestamp(o.xmin), o.occurred_at) ELSE o.occurred_at END";

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
   * primary's position: read in the statement that found the events, whose
   * snapshot holds their commits, so it covers them. A row still uncommitted
   * is not seen and gets a later seq once it commits. Three round trips.
   * Returns the events sequenced, in seq order.
   */
  async claim(
    limit: number,
    sign: (position: { lsn: string; tli: number }) => string,
  ): Promise<LogEnvelope[]> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`bad batch size ${limit}`);
    try {
      // BEGIN rides along (a simple query of two statements): the locks last until COMMIT.
      const results = (await this.db.query(
        `BEGIN;
         WITH s AS (SELECT last_seq FROM log_sequence FOR UPDATE),
              c AS (SELECT id FROM log_outbox WHERE seq IS NULL ORDER BY id LIMIT ${limit} FOR UPDATE)
         SELECT (SELECT last_seq::text FROM s) AS last, ARRAY(SELECT id::text FROM c ORDER BY id) AS ids,
                ${POSITION_COLUMNS}`,
      )) as unknown as { rows: ClaimRow[] }[];
      const found = results[1]!.rows[0]!;
      if (found.ids.length === 0) {
        await this.db.query('COMMIT');
        return [];
      }
      const { rows } = await this.db.query<EnvelopeRow>(
        `WITH o AS (
           UPDATE log_outbox o SET seq = $1::bigint + n.ord, token = $2, occurred_at = ${COMMITTED_AT}
             FROM unnest($3::bigint[]) WITH ORDINALITY AS n(id, ord) WHERE o.id = n.id
           RETURNING o.*),
         q AS (UPDATE log_sequence SET last_seq = $1::bigint + $4)
         SELECT ${ENVELOPE_COLUMNS} FROM o ORDER BY o.seq`,
        [found.last, sign({ lsn: found.lsn, tli: found.tli }), found.ids, found.ids.length],
      );
      await this.db.query('COMMIT');
      return rows.map(toEnvelope);
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

  /**
   * Where the log stands, in one statement: the highest seq published (0
   * when none is retained), the last seq this database gave out (0 before
   * any), and the lowest position any consumer has reached (null before any
   * consumer has a state).
   */
  async positions(): Promise<{ published: bigint; sequenced: bigint; slowest: bigint | null }> {
    const { rows } = await this.db.query<{
      published: string;
      sequenced: string;
      slowest: string | null;
    }>(
      `SELECT (SELECT coalesce(max(seq), 0) FROM log_outbox WHERE published_at IS NOT NULL)::text AS published,
              (SELECT last_seq FROM log_sequence)::text AS sequenced,
              (SELECT min(last_seq) FROM consumer_states)::text AS slowest`,
    );
    const row = rows[0]!;
    return {
      published: BigInt(row.published),
      sequenced: BigInt(row.sequenced),
      slowest: row.slowest === null ? null : BigInt(row.slowest),
    };
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
