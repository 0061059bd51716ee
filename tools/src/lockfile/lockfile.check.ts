/**
 * What `npm ci` needs of package-lock.json before it installs anything.
 *
 * npm (10 and 11) stops a whole `npm ci` with "Invalid Version:" when one entry
 * under `packages` has no `version`, even an optional binding for another
 * platform; a warm npm cache can hide it on the machine that wrote the lock.
 * This check reads the lock as data and names every such entry.
 */

/** One entry of a lockfile v2/v3 `packages` map, as far as this check reads it. */
export interface LockEntry {
  version?: unknown;
  link?: unknown;
  [field: string]: unknown;
}

export interface Lockfile {
  lockfileVersion?: unknown;
  packages?: Record<string, LockEntry>;
}

/** Problems that would stop `npm ci`, one line each; empty when the lock is sound. */
export function lockfileProblems(lock: Lockfile): string[] {
  if (lock.lockfileVersion !== 2 && lock.lockfileVersion !== 3) {
    return [`lockfileVersion is ${String(lock.lockfileVersion)}; npm 10 and 11 write 3`];
  }
  if (!lock.packages || typeof lock.packages !== 'object') return ['no "packages" map'];
  const problems: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    // "" is the project itself; a link (a workspace) points at a folder and has no version.
    if (path === '' || entry.link === true) continue;
    if (typeof entry.version !== 'string' || entry.version === '') {
      problems.push(`${path}: no version (npm ci fails with "Invalid Version")`);
    }
  }
  return problems;
}
