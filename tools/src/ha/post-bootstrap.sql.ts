import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Login } from '../credentials';
import type { HaSettings } from './ha.settings';

/** The roles file compose's primary and `npm run cluster` run too: one file for every deployment. */
export const ROLES_SQL = resolve(__dirname, '..', '..', '..', 'postgres', 'roles.sql');

/** Where `HaCluster` writes the script below, for Patroni to run. */
export function postBootstrapFile(settings: HaSettings): string {
  return join(settings.dataDir, 'post-bootstrap.sql');
}

/**
 * The psql script of Patroni's `post_bootstrap`: it runs once, on the node
 * that ran initdb, before any replica clones it and before Patroni creates
 * its replication role (Patroni then finds the role postgres/roles.sql made
 * and only sets its password). It creates the app's database and runs
 * postgres/roles.sql in it with psql's own variables, as compose does;
 * the file is copied in, because the unprivileged account Patroni runs as
 * may not be able to read the checkout.
 */
export function postBootstrapSql(
  settings: HaSettings,
  rolesSql = readFileSync(ROLES_SQL, 'utf8'),
): string {
  const { credentials, roles } = settings;
  const vars: [string, string][] = [
    ['db', credentials.database],
    ...(Object.entries(roles) as [string, Login][]).flatMap(([kind, login]): [string, string][] => [
      [`${kind}_user`, login.user],
      [`${kind}_password`, login.password],
    ]),
  ];
  return [
    "-- Written by HaCluster (tools/src/ha/post-bootstrap.sql.ts) for Patroni's post_bootstrap.",
    '\\set ON_ERROR_STOP on',
    ...vars.map(([name, value]) => `\\set ${name} ${psqlLiteral(value)}`),
    'CREATE DATABASE :"db";',
    '\\connect :"db"',
    rolesSql,
  ].join('\n');
}

/** A psql backslash-command argument taken literally: single quotes, each quote doubled. */
function psqlLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
