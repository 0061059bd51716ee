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

/** node-postgres' callback of a query. */
export type PgCallback = (error: Error | null, result?: unknown) => void;

/** What of node-postgres' `Query` (pg/lib/query.js) a covered query (covered-query.ts) relies on. */
export interface PgQuery {
  callback?: PgCallback;
  portal: string;
  rows?: number;
  requiresPreparation(): boolean;
  _getRows(connection: WireConnection, rows?: number): void;
  handleRowDescription(msg: unknown): void;
  handleDataRow(msg: { fields: unknown[] }): void;
  handleCommandComplete(msg: unknown, connection: WireConnection): void;
  handleEmptyQuery(connection: WireConnection): void;
  handleError(error: Error, connection: WireConnection): void;
  handleReadyForQuery(connection: WireConnection): void;
}
export type QueryClass = new (config: unknown, values?: unknown, callback?: unknown) => PgQuery;

/** node-postgres' wire connection (pg/lib/connection.js), as a covered query writes to it. */
export interface WireConnection {
  parsedStatements: Record<string, string>;
  parse(opts: { name: string; text: string; types: number[] }): void;
  bind(opts: { portal: string; statement: string; values: unknown[] }): void;
  execute(opts: { portal: string; rows?: number }): void;
  sync(): void;
  /** Its socket: where pg's messages are written (corked while a query is sent). */
  stream: { writable: boolean; write(chunk: Uint8Array): boolean };
}
