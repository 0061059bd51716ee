import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
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
 * `cleanup` if the bench ends first.
 */
export async function startApiProcess(
  name: string,
  env: Record<string, string>,
  cleanup: CleanupRegistry,
): Promise<ApiProcess> {
  const port = await freePort();
  const child = fork(ENTRY, [], {
    cwd: ROOT,
    execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
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
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      if (output.length > 40) output.shift();
      console.error(`${name} | ${line}`);
    });
  }
  const stop = () => stopChild(child);
  const unregister = cleanup.add(name, stop);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(child, url);
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

async function waitHealthy(child: ChildProcess, url: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`it exited (${child.signalCode ?? `code ${child.exitCode}`})`);
    }
    if ((await healthStatus(url)) === 200) return;
    await sleep(200);
  }
  throw new Error(`GET ${url}/health did not answer 200 within ${START_TIMEOUT_MS / 1000} s`);
}

function healthStatus(url: string): Promise<number> {
  return new Promise((done) => {
    const req = get(`${url}/health`, { timeout: 1000 }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(0));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  try {
    await exited;
  } finally {
    clearTimeout(killer);
  }
}

/** A port of 127.0.0.1 that nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}
