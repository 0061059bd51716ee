import { runCommand, type Owner } from '../process/child.process';

/** Postgres refuses to run as root: use the `postgres` account if there is one, else `nobody`. */
export function unprivilegedUser(): Owner {
  for (const name of [process.env.PG_RUN_AS, 'postgres', 'nobody']) {
    if (!name) continue;
    try {
      return {
        uid: Number(runCommand('id', ['-u', name])),
        gid: Number(runCommand('id', ['-g', name])),
      };
    } catch {
      // try the next one
    }
  }
  throw new Error(
    'Running as root, but no unprivileged account (postgres, nobody) to run Postgres as; set PG_RUN_AS.',
  );
}

/** Who a server the tools start runs as: `unprivilegedUser()` when this process is root, else this process's account. */
export function serverOwner(): Owner | undefined {
  return process.getuid?.() === 0 ? unprivilegedUser() : undefined;
}
