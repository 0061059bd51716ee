import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** Stops the launcher, which stops every node (also those a test restarted). */
export default async function globalTeardown(): Promise<void> {
  const launcher = (globalThis as { __E2E_LAUNCHER__?: ChildProcess }).__E2E_LAUNCHER__;
  if (!launcher || launcher.exitCode !== null) return;
  const exited = once(launcher, 'exit');
  launcher.kill('SIGTERM');
  await exited;
}
