import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { ROOT } from '../cluster/launcher.command';

/** The API's proxy configuration, the one every deployment uses (docker/haproxy-api.cfg). */
export const PROXY_TEMPLATE = resolve(ROOT, 'docker/haproxy-api.cfg');
/** Renders the template's `server` lines, then runs HAProxy (the compose image's entry point too). */
export const PROXY_RENDER = resolve(ROOT, 'docker/haproxy-render.sh');
/** The `error` of the 503 HAProxy answers itself to a request that waited PROXY_QUEUE_MS. */
export const PROXY_BUSY_ERROR = 'Every API process is busy; retry in 1 s.';

export interface ProxySettings {
  /** Where clients connect, on 127.0.0.1. */
  port: number;
  /** The API processes, on 127.0.0.1. */
  servers: { name: string; port: number }[];
  /** Requests each API process is given at once: its own API_MAX_IN_FLIGHT (0: no limit). */
  maxInFlight: number;
  /** How long a request may wait in HAProxy's queue before its 503. */
  queueMs: number;
  /** Where the rendered configuration goes. */
  configFile: string;
}

export interface ProxyCommand {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/** Debian's haproxy (`apt-get install haproxy`), or HAPROXY_BIN, or the first on PATH. */
export function findHaproxy(env: NodeJS.ProcessEnv = process.env): string {
  const onPath = (env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'haproxy'));
  const candidates = [env.HAPROXY_BIN, '/usr/sbin/haproxy', ...onPath];
  const found = candidates.find((c) => c && existsSync(c));
  if (!found)
    throw new Error(
      'haproxy is needed for the API proxy; not found.\n' +
        '  Install it (Debian/Ubuntu: apt-get install haproxy), or set HAPROXY_BIN.',
    );
  return found;
}

/** The variables docker/haproxy-api.cfg and docker/haproxy-render.sh read, as compose sets them. */
export function proxyEnv(settings: ProxySettings): Record<string, string> {
  return {
    API_SERVERS: settings.servers.map((s) => `${s.name}=127.0.0.1:${s.port}`).join(' '),
    PROXY_HOST: '127.0.0.1',
    PROXY_PORT: String(settings.port),
    API_MAX_IN_FLIGHT: String(settings.maxInFlight),
    PROXY_QUEUE_MS: String(settings.queueMs),
  };
}

/**
 * HAProxy in the foreground (`-db`: warnings to stderr, among them every API
 * process leaving or joining the rotation), on the configuration rendered
 * from the template: the same script and file as the compose image. Its
 * environment is its own (no PROXY_DOCKER_DNS from this one's).
 */
export function proxyCommand(settings: ProxySettings, haproxy = findHaproxy()): ProxyCommand {
  return {
    command: 'sh',
    args: [
      PROXY_RENDER,
      PROXY_TEMPLATE,
      settings.configFile,
      haproxy,
      '-db',
      '-f',
      settings.configFile,
    ],
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...proxyEnv(settings) },
  };
}
