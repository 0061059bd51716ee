import { resolve } from 'node:path';

/** What the launcher prints once the cluster is migrated and every replica streams. */
export const LAUNCHER_READY = 'launcher | cluster ready';

/** The repository's root, where the scripts and each app's main.ts find `.env` and tsconfig.json. */
export const ROOT = resolve(__dirname, '..', '..', '..');

/** A child process that runs one of the repository's TypeScript entry points (ts-node, no type checks). */
export interface ScriptCommand {
  command: string;
  args: string[];
  cwd: string;
}

/** How to run `script` (a path from the repository's root) in a process of its own. */
export function tsNodeCommand(script: string): ScriptCommand {
  return {
    command: process.execPath,
    args: [
      require.resolve('ts-node/dist/bin'),
      '--transpile-only',
      '-r',
      'tsconfig-paths/register',
      script,
    ],
    cwd: ROOT,
  };
}

/** How to run the cluster launcher (`npm run cluster`) as a child process. */
export function launcherCommand(): ScriptCommand {
  return tsNodeCommand('tools/bin/cluster.ts');
}
