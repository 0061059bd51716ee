import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { RESULT_PREFIX, type BurstConfig, type BurstResult } from './burst.main';

const ROOT = resolve(__dirname, '../../..');
const ENTRY = resolve(__dirname, 'burst.main.ts');
/** Raised in the child's shell before node starts (root may raise the hard limit too). */
const FD_LIMIT = 65536;

/**
 * Runs the burst generator (burst.main.ts) in a child process with a raised
 * file-descriptor limit, and resolves with its result. Its stderr is shown.
 * `onChild` gets the child so that a Ctrl+C can end it.
 */
export function runBurst(
  config: BurstConfig,
  onChild: (stop: () => void) => void = () => undefined,
): Promise<BurstResult> {
  const script = `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`;
  const child = spawn(
    'bash',
    [
      '-c',
      script,
      'burst',
      process.execPath,
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      ENTRY,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, BURST_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  onChild(() => child.kill('SIGKILL'));
  let result: BurstResult | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith(RESULT_PREFIX))
      result = JSON.parse(line.slice(RESULT_PREFIX.length)) as BurstResult;
    else console.log(`burst | ${line}`);
  });
  createInterface({ input: child.stderr }).on('line', (line) => console.error(`burst | ${line}`));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code, signal) => {
      if (result) done(result);
      else
        fail(
          new Error(`the burst generator exited (${signal ?? `code ${code}`}) without a result`),
        );
    });
  });
}
