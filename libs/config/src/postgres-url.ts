/** Where one Postgres server is, and who connects to it. */
export interface PostgresAddress {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** `postgres://user:password@host:port/database`, every part escaped. */
export function postgresUrl(a: PostgresAddress): string {
  const user = encodeURIComponent(a.user);
  const password = encodeURIComponent(a.password);
  return `postgres://${user}:${password}@${a.host}:${a.port}/${encodeURIComponent(a.database)}`;
}
