/**
 * What an app is given to find an HA cluster: every node, roles not said
 * (the app discovers them), and where to ask Patroni who leads.
 */
export interface HaEnv {
  /** `pg0=postgres://...,pg1=postgres://...`: every node, leader or not. */
  DATABASE_HOSTS: string;
  /**
   * `http://127.0.0.1:8008,http://127.0.0.1:8009,...`: Patroni's REST API on
   * every node. Absent: the app asks each host whether it is in recovery.
   */
  PATRONI_URLS?: string;
}

export function haEnv(
  hosts: readonly { name: string; url: string }[],
  patroniUrls: readonly string[],
): HaEnv {
  return {
    DATABASE_HOSTS: hosts.map((h) => `${h.name}=${h.url}`).join(','),
    PATRONI_URLS: patroniUrls.join(','),
  };
}
