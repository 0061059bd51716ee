import { existsSync } from 'node:fs';

/**
 * The binary of a Debian package the tests or the stack run: `override` (an
 * environment variable's value) if set, else the first of `paths` that
 * exists; a clear error naming the package otherwise.
 */
export function debianBinary(
  what: { name: string; package: string; variable: string; purpose: string },
  paths: readonly string[],
): string {
  const found = [process.env[what.variable], ...paths].find((c) => c && existsSync(c));
  if (!found)
    throw new Error(
      `${what.name} is needed for ${what.purpose}; not found.\n` +
        `  Install it (Debian/Ubuntu: apt-get install ${what.package}), or set ${what.variable}.`,
    );
  return found;
}
