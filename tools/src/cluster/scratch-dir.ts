import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The file that marks a directory as one a launcher built, and may delete again. */
export const SCRATCH_MARKER = '.rocket-rides-scratch';

/**
 * What a launcher built before there was a marker: every entry of the
 * directory matches `entries`, and `holds` (a path inside it) exists.
 */
export interface LegacyLayout {
  entries: RegExp;
  holds: string;
}

/**
 * Empties `dir` for a launcher to build a cluster in (created with `mode`),
 * and marks it as the launcher's. A directory that exists is deleted only if
 * it is empty, carries the marker, or, built before there was a marker, holds
 * nothing but what that launcher builds (`legacy`). Anything else (a
 * DATA_DIR pointed at a home directory, or at the directory above a real
 * cluster) is refused with an error that says why, before anything in it is
 * touched; so is a symbolic link.
 */
export function recreateScratchDir(dir: string, legacy: LegacyLayout, mode = 0o700): void {
  const path = resolve(dir);
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (stat?.isSymbolicLink())
    throw new Error(`${path} is a symbolic link: give the directory itself (refusing to touch it)`);
  if (stat) {
    const entries = readdirSync(path);
    const ours =
      entries.length === 0 ||
      entries.includes(SCRATCH_MARKER) ||
      (entries.every((e) => legacy.entries.test(e)) && existsSync(join(path, legacy.holds)));
    if (!ours)
      throw new Error(
        `${path} exists and was not built by this launcher (no ${SCRATCH_MARKER} in it): ` +
          'refusing to delete it. Choose another directory, or delete it yourself.',
      );
    rmSync(path, { recursive: true, force: true });
  }
  mkdirSync(path, { recursive: true, mode });
  writeFileSync(
    join(path, SCRATCH_MARKER),
    'Built by a rocket-rides launcher: deleted on its next run.\n',
  );
}
