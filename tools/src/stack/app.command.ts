import { resolve } from 'node:path';

/** The repository's root, where each app's main.ts finds `.env` and tsconfig.json. */
export const ROOT = resolve(__dirname, '..', '..', '..');

/**
 * How to run an app's own main.ts in a process of its own, through ts-node
 * without type checks (as the bench runs its API processes): no `nest build`,
 * so several processes of one app start side by side without racing for dist/.
 */
export function appCommand(app: 'api' | 'observer' | 'simulator'): {
  command: string;
  args: string[];
  cwd: string;
} {
  return {
    command: process.execPath,
    args: [
      require.resolve('ts-node/dist/bin'),
      '--transpile-only',
      '-r',
      'tsconfig-paths/register',
      `apps/${app}/src/main.ts`,
    ],
    cwd: ROOT,
  };
}
