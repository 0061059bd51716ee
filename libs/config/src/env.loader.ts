import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { config } from 'dotenv';

/**
 * Loads the committed `.env` (documented defaults) and then `.env.local` if
 * present. A variable already set in the environment always wins.
 */
export function loadEnv(dir = process.cwd()): void {
  for (const file of ['.env.local', '.env']) {
    const path = resolve(dir, file);
    if (existsSync(path)) config({ path, quiet: true, override: false });
  }
}
