import { resolve } from 'node:path';
import { spawnChild } from '../process/child.process';
import { freePort, waitUntil } from '../process/wait';
import { httpStatus } from '../stack/http-ready';
import type { CleanupRegistry } from './cleanup.registry';

const ROOT = resolve(__dirname, '../../..');
const ENTRY = resolve(__dirname, 'api-process.main.ts');
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ApiProcess {
  name: string;
  pid: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** SIGTERM (a clean shutdown), SIGKILL after 15 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * The real API (apps/api/src/main.ts, through ts-node without type checks) in
 * a child process of its own, so that it never shares an event loop with the
 * load generator. `env` is its configuration (the committed .env fills in the
 * rest, as for `npm start`); logs at warn and above are shown, prefixed with
 * `name`. Resolves once `GET /health` answers 200; the process is stopped by
 * `cleanup` if the bench ends first. Its IPC channel tells it when the bench
 * goes away without stopping it (api-process.main.ts).
 */
export async function startApiProcess(
  name: string,
  env: Record<string, string>,
  cleanup: CleanupRegistry,
): Promise<ApiProcess> {
  const port = await freePort();
  const output: string[] = [];
  const child = spawnChild({
    name,
    command: process.execPath,
    args: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', ENTRY],
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      NO_COLOR: '1',
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      ...env,
    },
    ipc: true,
    print: { to: process.stderr },
    onLine: (line) => {
      output.push(line);
      if (output.length > 40) output.shift();
    },
  });
  const stop = async () => {
    await child.stop({ timeoutMs: STOP_TIMEOUT_MS });
  };
  const unregister = cleanup.add(name, stop);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(
      async () => {
        if (!child.running) {
          const { code, signal } = child.exitStatus!;
          throw new Error(`it exited (${signal ?? `code ${code}`})`);
        }
        return (await httpStatus(`${url}/health`)) === 200;
      },
      { timeoutMs: START_TIMEOUT_MS, what: `GET ${url}/health to answer 200`, intervalMs: 200 },
    );
  } catch (error) {
    await stop();
    unregister();
    const tail = output.slice(-15).join('\n');
    throw new Error(
      `${name} did not start: ${error instanceof Error ? error.message : String(error)}` +
        (tail ? `\nits last output:\n${tail}` : ''),
    );
  }
  return {
    name,
    pid: child.pid!,
    url,
    stop: async () => {
      await stop();
      unregister();
    },
  };
}
