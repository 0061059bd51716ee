import { tsNodeCommand, type ScriptCommand } from '../cluster/launcher.command';

/** What `npm run cluster:ha` prints once the cluster is migrated and every replica streams. */
export const HA_LAUNCHER_READY = 'launcher | HA cluster ready';

/** How to run the HA launcher (`npm run cluster:ha`) as a child process. */
export function haLauncherCommand(): ScriptCommand {
  return tsNodeCommand('tools/bin/cluster-ha.ts');
}
