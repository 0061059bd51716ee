import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { STORM_RESULT, type StormConfig, type StormResult } from './storm.main';

const ROOT = resolve(__dirname, '../../..');
const ENTRY = resolve(__dirname, 'storm.main.ts');
/** Raised in the child's shell before node starts (root may raise the hard limit too). */
const FD_LIMIT = 65536;

/**
 * Runs the storm generator (storm.main.ts) in a child process with a raised
 * file-descriptor limit, and resolves with its result; its other output is
 * shown as `storm | ...`. `onChild` gets a way to end it (Ctrl+C).
 */
export function runStorm(
  config: StormConfig,
  onChild: (stop: () => void) => () => void,
): Promise<StormResult> {
  const script = `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`;
  const node = [process.execPath, '-r', 'ts-node/register/transpile-only', ENTRY];
  const child = spawn('bash', ['-c', script, 'storm', ...node], {
    cwd: ROOT,
    env: { ...process.env, STORM_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const unregister = onChild(() => child.kill('SIGKILL'));
  let result: StormResult | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith(STORM_RESULT))
      result = JSON.parse(line.slice(STORM_RESULT.length)) as StormResult;
    else console.log(`storm | ${line}`);
  });
  createInterface({ input: child.stderr }).on('line', (line) => console.error(`storm | ${line}`));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code, signal) => {
      unregister();
      if (result) done(result);
      else
        fail(
          new Error(`the storm generator exited (${signal ?? `code ${code}`}) without a result`),
        );
    });
  });
}
