import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PROXY_BUSY_ERROR,
  PROXY_RENDER,
  PROXY_TEMPLATE,
  findHaproxy,
  proxyCommand,
  proxyEnv,
} from './haproxy.command';

describe('the API proxy command', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'proxy-spec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const settings = () => ({
    port: 5080,
    servers: [
      { name: 'api0', port: 5005 },
      { name: 'api1', port: 5006 },
    ],
    maxInFlight: 64,
    queueMs: 2000,
    configFile: join(dir, 'haproxy.cfg'),
  });
  const render = (env: Record<string, string>) =>
    spawnSync('sh', [PROXY_RENDER, PROXY_TEMPLATE, join(dir, 'haproxy.cfg')], {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
    });

  it('sets the variables the template reads, as compose does', () => {
    expect(proxyEnv(settings())).toEqual({
      API_SERVERS: 'api0=127.0.0.1:5005 api1=127.0.0.1:5006',
      PROXY_HOST: '127.0.0.1',
      PROXY_PORT: '5080',
      API_MAX_IN_FLIGHT: '64',
      PROXY_QUEUE_MS: '2000',
    });
  });

  it('renders one checked server line per API process in place of #@servers, and nothing else', () => {
    const result = render(proxyEnv(settings()));
    expect(result.status).toBe(0);
    const rendered = readFileSync(join(dir, 'haproxy.cfg'), 'utf8');
    const template = readFileSync(PROXY_TEMPLATE, 'utf8');
    expect(rendered).not.toMatch(/^ *#@servers/m);
    expect(rendered.match(/^ {2}server .*$/gm)).toEqual([
      '  server api0 127.0.0.1:5005 check',
      '  server api1 127.0.0.1:5006 check',
    ]);
    const withoutServers = (text: string) =>
      text.split('\n').filter((line) => !/^ *(#@servers|server )/.test(line));
    expect(withoutServers(rendered)).toEqual(withoutServers(template));
  });

  it('refuses a malformed or empty API_SERVERS, saying what it must look like', () => {
    for (const servers of ['api0', 'api0=', '=127.0.0.1:5005', 'a=b=c', 'a=x;rm', ''])
      expect(render({ API_SERVERS: servers })).toMatchObject({
        status: 2,
        stderr: expect.stringMatching(/name=host:port/),
      });
  });

  it('answers overflow with the busy error the bench and the compose tests recognise', () => {
    const template = readFileSync(PROXY_TEMPLATE, 'utf8');
    expect(template).toContain(
      `http-error status 503 content-type application/json string '${JSON.stringify({ error: PROXY_BUSY_ERROR })}' hdr retry-after 1`,
    );
  });

  it('runs HAProxy in the foreground on the rendered file, with HAPROXY_BIN first', () => {
    const found = findHaproxy({ HAPROXY_BIN: process.execPath, PATH: '' });
    expect(found).toBe(process.execPath);
    const command = proxyCommand(settings(), '/opt/haproxy');
    expect(command.args).toEqual([
      PROXY_RENDER,
      PROXY_TEMPLATE,
      join(dir, 'haproxy.cfg'),
      '/opt/haproxy',
      '-db',
      '-f',
      join(dir, 'haproxy.cfg'),
    ]);
    expect(command.env).not.toHaveProperty('PROXY_DOCKER_DNS');
  });
});
