/** The apps' database variables (see `DatabaseConfig`): what an in-process app is configured with. */
export interface DatabaseEnv {
  DATABASE_URL: string;
  /** `name=url,...` */
  REPLICA_URLS: string;
}

export function databaseEnv(
  primaryUrl: string,
  replicas: readonly { name: string; url: string }[],
): DatabaseEnv {
  return {
    DATABASE_URL: primaryUrl,
    REPLICA_URLS: replicas.map((r) => `${r.name}=${r.url}`).join(','),
  };
}
