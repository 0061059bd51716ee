import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The file that marks a directory as one a launcher built, and may delete again. */
export const SCRATCH_MARKER = '.rocket-rides-scratch';

/**
 * Empties `dir` for a launcher to build a cluster in (created with `mode`),
 * and marks it as the launcher's. A directory that exists is deleted only if
 * it is empty, carries the marker, or, built before there was a marker,
 * `looksOurs(dir)` says it holds what that launcher builds. Anything else (a
 * DATA_DIR pointed at a home directory or at a real cluster) is refused with
 * an error that says why, before anything in it is touched.
 */
export function recreateScratchDir(
  dir: string,
  looksOurs: (dir: string) => boolean,
  mode = 0o700,
): void {
  const path = resolve(dir);
  if (existsSync(path)) {
    const entries = readdirSync(path);
    const ours = entries.length === 0 || entries.includes(SCRATCH_MARKER) || looksOurs(path);
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
