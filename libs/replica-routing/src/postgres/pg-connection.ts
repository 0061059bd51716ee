import type { PoolClient } from 'pg';

/** A checked-out node-postgres client, with what the library reads of its internals. */
export type PgConnection = PoolClient & {
  /** True when the client pipelines: queries are sent at once, answered in order. */
  readonly pipeline?: boolean;
  /**
   * node-postgres' wire connection: its socket, corked, sends several
   * messages in one write; `parsedStatements` are the named statements it
   * believes the server session holds (it sends no Parse for those).
   */
  readonly connection?: {
    stream?: { cork?(): void; uncork?(): void };
    parsedStatements?: Record<string, string>;
  };
  /** The status byte of the last ReadyForQuery: `I` idle, `T` in a transaction, `E` in a failed one. */
  getTransactionStatus?(): string | null;
};

/** Runs `send` with the connection's socket corked: what it sends leaves in one write. */
export function inOneWrite<T>(connection: PgConnection, send: () => T): T {
  const stream = connection.connection?.stream;
  stream?.cork?.();
  try {
    return send();
  } finally {
    stream?.uncork?.();
  }
}
