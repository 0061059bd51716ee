import { tsNodeCommand, type ScriptCommand } from '../cluster/launcher.command';

/**
 * How to run an app's own main.ts in a process of its own, through ts-node
 * without type checks (as the bench runs its API processes): no `nest build`,
 * so several processes of one app start side by side without racing for dist/.
 */
export function appCommand(app: 'api' | 'observer' | 'simulator'): ScriptCommand {
  return tsNodeCommand(`apps/${app}/src/main.ts`);
}
