import type { QueryRunner } from 'typeorm';

/** The node-postgres client under a TypeORM query runner, as far as the library uses it. */
export interface PgConnection {
  /** True when the client pipelines: queries are sent at once, answered in order. */
  readonly pipeline?: boolean;
  query(text: string): Promise<{ rows: Record<string, unknown>[] }>;
  /** node-postgres' wire connection; its socket, corked, sends several messages in one write. */
  readonly connection?: { stream?: { cork?(): void; uncork?(): void } };
}

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

/** The connected runner's node-postgres client (TypeORM's `databaseConnection`), if any. */
export function connectionOf(runner: QueryRunner): PgConnection | undefined {
  const connection = (runner as unknown as { databaseConnection?: PgConnection })
    .databaseConnection;
  return typeof connection?.query === 'function' ? connection : undefined;
}
