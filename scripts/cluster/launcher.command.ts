import { resolve } from 'node:path';

/** How to run the cluster launcher (`npm run cluster`) as a child process. */
export function launcherCommand(): { command: string; args: string[]; cwd: string } {
  return {
    command: process.execPath,
    args: [
      require.resolve('ts-node/dist/bin'),
      '--transpile-only',
      '-r',
      'tsconfig-paths/register',
      'scripts/cluster.ts',
    ],
    cwd: resolve(__dirname, '..', '..'),
  };
}
