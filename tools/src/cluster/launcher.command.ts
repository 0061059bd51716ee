import { resolve } from 'node:path';

/** What the launcher prints once the cluster is migrated and every replica streams. */
export const LAUNCHER_READY = 'launcher | cluster ready';

/** How to run the cluster launcher (`npm run cluster`) as a child process. */
export function launcherCommand(): { command: string; args: string[]; cwd: string } {
  return {
    command: process.execPath,
    args: [
      require.resolve('ts-node/dist/bin'),
      '--transpile-only',
      '-r',
      'tsconfig-paths/register',
      'tools/bin/cluster.ts',
    ],
    cwd: resolve(__dirname, '..', '..', '..'),
  };
}
