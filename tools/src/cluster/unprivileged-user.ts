import { execFileSync } from 'node:child_process';

/** Postgres refuses to run as root: use the `postgres` account if there is one, else `nobody`. */
export function unprivilegedUser(): { uid: number; gid: number } {
  for (const name of [process.env.PG_RUN_AS, 'postgres', 'nobody']) {
    if (!name) continue;
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {
      // try the next one
    }
  }
  throw new Error(
    'Running as root, but no unprivileged account (postgres, nobody) to run Postgres as; set PG_RUN_AS.',
  );
}
