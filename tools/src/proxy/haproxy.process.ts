import { spawnChild, type Child } from '../process/child.process';
import { waitUntil } from '../process/wait';
import { httpStatus } from '../stack/http-ready';
import { proxyCommand, type ProxySettings } from './haproxy.command';

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * The API's proxy as a child process of a tool (the bench): HAProxy on
 * docker/haproxy-api.cfg, its lines printed as `<name> | ...` on stderr.
 */
export class HaproxyProcess {
  private child: Child | undefined;

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
    const child = spawnChild({
      name: this.name,
      ...proxyCommand(this.settings),
      print: { to: process.stderr },
    });
    this.child = child;
    const ready = `${this.url}/health/ready`;
    try {
      await waitUntil(
        async () => {
          if (!child.running) {
            const { code, signal } = child.exitStatus!;
            throw new Error(`${this.name} exited (${signal ?? `code ${code}`})`);
          }
          return (await httpStatus(ready)) === 200;
        },
        { timeoutMs: START_TIMEOUT_MS, what: `${this.name}: GET ${ready} to answer 200` },
      );
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** SIGTERM, SIGKILL after 5 s; resolves once it has exited. */
  async stop(): Promise<void> {
    await this.child?.stop({ timeoutMs: STOP_TIMEOUT_MS });
  }
}
