import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findPostgresBinaries, type PostgresBinaries } from '../cluster/postgres-binaries';

export interface HaBinaries {
  /** Debian's `/usr/bin/patroni` (or $HA_PATRONI_BIN). */
  patroni: string;
  etcd: string;
  postgres: PostgresBinaries;
}

/** Patroni needs more of the server's programs than `npm run cluster` does (psql: the post_bootstrap). */
const PATRONI_NEEDS = ['pg_ctl', 'pg_rewind', 'pg_basebackup', 'pg_controldata', 'psql'];

/**
 * Patroni, etcd and the Postgres server binaries the plain cluster uses
 * (`findPostgresBinaries`). Patroni is run as `/usr/bin/patroni`, whose
 * first line names /usr/bin/python3: the Debian package's modules are
 * installed for that interpreter only, so a `python3` found first on PATH
 * (pyenv, a virtualenv) would not find them. Throws saying what to install.
 */
export function findHaBinaries(env = process.env): HaBinaries {
  // Empty counts as unset, as the apps' own settings do.
  const patroni = env.HA_PATRONI_BIN || '/usr/bin/patroni';
  const etcd = env.HA_ETCD_BIN || (onPath('etcd', env.PATH) ?? '/usr/bin/etcd');
  const missing = [patroni, etcd].filter((file) => !existsSync(file));
  if (missing.length > 0)
    throw new Error(
      `Patroni and etcd are needed for the HA cluster; not found: ${missing.join(', ')}.\n` +
        '  Install them (Debian/Ubuntu: apt-get install patroni etcd-server), or set HA_PATRONI_BIN / HA_ETCD_BIN.',
    );
  const postgres = findPostgresBinaries(env);
  const lacking = PATRONI_NEEDS.filter((name) => !existsSync(join(postgres.bindir, name)));
  if (lacking.length > 0)
    throw new Error(
      `The Postgres binaries in ${postgres.bindir} (${postgres.source}) lack ${lacking.join(', ')}, which Patroni runs.\n` +
        '  Install the server package (Debian/Ubuntu: apt-get install postgresql) or set PG_BINDIR.',
    );
  return { patroni, etcd, postgres };
}

function onPath(name: string, path = ''): string | undefined {
  return path
    .split(':')
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find((file) => existsSync(file));
}
