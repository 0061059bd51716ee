import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ClusterRoles } from '../credentials';

/** The SQL compose's primary.sh runs with psql: one file for both deployments. */
const ROLES_SQL = resolve(__dirname, '..', '..', '..', 'postgres', 'roles.sql');

/** Streams WAL to the replicas, nothing else (compose's primary.sh creates its own alike). */
const REPLICATION_SQL = `CREATE ROLE :"replication_user" REPLICATION LOGIN PASSWORD :'replication_password';`;

/**
 * postgres/roles.sql with its psql variables (`:"name"` an identifier,
 * `:'name'` a literal) filled in, then the replication role, as one
 * multi-statement query for a superuser connected to `database`.
 */
export function rolesSql(database: string, roles: ClusterRoles): string {
  const { owner, api, observer, log, replication } = roles;
  return substitute(`${readFileSync(ROLES_SQL, 'utf8')}\n${REPLICATION_SQL}\n`, {
    db: database,
    owner_user: owner.user,
    owner_password: owner.password,
    api_user: api.user,
    api_password: api.password,
    observer_user: observer.user,
    observer_password: observer.password,
    log_user: log.user,
    log_password: log.password,
    replication_user: replication.user,
    replication_password: replication.password,
  });
}

/**
 * psql's interpolation of `:"name"` and `:'name'`; an unknown name throws.
 * Comment lines go first (psql leaves comments alone).
 */
export function substitute(sql: string, vars: Record<string, string>): string {
  return sql
    .replace(/^\s*--.*$/gm, '')
    .replace(/:(["'])([a-z_]+)\1/g, (_, quote: string, name: string) => {
      const value = vars[name];
      if (value === undefined) throw new Error(`roles.sql: no value for :${quote}${name}${quote}`);
      return quote === '"' ? `"${value.replace(/"/g, '""')}"` : `'${value.replace(/'/g, "''")}'`;
    });
}
