import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpStatus } from '../stack/http-ready';
import { proxyCommand, type ProxySettings } from './haproxy.command';

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * The API's proxy as a child process of a tool (the bench): HAProxy on
 * docker/haproxy-api.cfg, its lines printed as `<name> | ...`.
 */
export class HaproxyProcess {
  private child: ChildProcess | undefined;

  constructor(
    private readonly settings: ProxySettings,
    private readonly name = 'haproxy',
  ) {}

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return `http://127.0.0.1:${this.settings.port}`;
  }

  /** HAProxy's pid (`sh` execs it), for CPU accounting. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts it; resolves once `GET /health/ready` through it answers 200 (an API process is in rotation). */
  async start(): Promise<void> {
    const { command, args, cwd, env } = proxyCommand(this.settings);
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    for (const stream of [child.stdout, child.stderr])
      createInterface({ input: stream }).on('line', (line) =>
        console.error(`${this.name} | ${line}`),
      );
    const deadline = Date.now() + START_TIMEOUT_MS;
    while ((await httpStatus(`${this.url}/health/ready`)) !== 200) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`${this.name} exited (${child.signalCode ?? `code ${child.exitCode}`})`);
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`${this.name}: GET ${this.url}/health/ready did not answer 200 in time`);
      }
      await sleep(100);
    }
  }

  /** SIGTERM, SIGKILL after 5 s; resolves once it has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      await exited;
    } finally {
      clearTimeout(killer);
    }
  }
}
