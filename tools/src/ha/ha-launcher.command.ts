import { resolve } from 'node:path';

/** What `npm run cluster:ha` prints once the cluster is migrated and every replica streams. */
export const HA_LAUNCHER_READY = 'launcher | HA cluster ready';

/** How to run the HA launcher (`npm run cluster:ha`) as a child process. */
export function haLauncherCommand(): { command: string; args: string[]; cwd: string } {
  return {
    command: process.execPath,
    args: [
      require.resolve('ts-node/dist/bin'),
      '--transpile-only',
      '-r',
      'tsconfig-paths/register',
      'tools/bin/cluster-ha.ts',
    ],
    cwd: resolve(__dirname, '..', '..', '..'),
  };
}
