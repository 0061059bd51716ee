import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { validateConfig } from './config.validator';
import { ShutdownConfig } from './shutdown.signals';

/**
 * A node child whose app's close ends after 150 ms (`quick`) or never
 * (`hang`; `stuck`: with nothing else keeping the process alive), with
 * closeOnSignals and SHUTDOWN_TIMEOUT_MS=`timeoutMs`; it prints `ready` once
 * its handlers are on, and `closing` when its close begins.
 */
function child(close: 'quick' | 'hang' | 'stuck', timeoutMs = 300) {
  const script = `
    const { closeOnSignals, ShutdownConfig } = require(${JSON.stringify(require.resolve('./shutdown.signals'))});
    const { validateConfig } = require(${JSON.stringify(require.resolve('./config.validator'))});
    const alive = setInterval(() => {}, 1000);
    const app = {
      close: () => (console.log('closing'), ${JSON.stringify(close)} === 'quick'
        ? new Promise((resolve) => setTimeout(() => { console.log('closed'); resolve(); }, 150))
        // 'stuck': its server closed, nothing left to keep the event loop alive.
        : (${JSON.stringify(close)} === 'stuck' && clearInterval(alive), new Promise(() => {}))),
    };
    closeOnSignals(app, validateConfig(ShutdownConfig, { SHUTDOWN_TIMEOUT_MS: '${timeoutMs}' }));
    console.log('ready');`;
  const proc = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const printed = (line: string) =>
    new Promise<void>((resolve) => proc.stdout.on('data', () => out.includes(line) && resolve()));
  const ready = printed('ready');
  const closing = printed('closing');
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { proc, ready, closing, exited, output: () => out };
}

/** The child closed its app, then ended by the SIGTERM it was sent (no exit code). */
async function closedBySigterm(c: ReturnType<typeof child>): Promise<void> {
  const [code, signal] = await c.exited;
  expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
  expect(c.output()).toContain('closed');
}

describe('closeOnSignals', () => {
  jest.setTimeout(20_000);

  it('closes the app on SIGTERM, then ends the process by that signal', async () => {
    const c = child('quick');
    await c.ready;
    c.proc.kill('SIGTERM');
    await closedBySigterm(c);
  });

  it('exits 1, saying why, when the close outlasts SHUTDOWN_TIMEOUT_MS', async () => {
    const c = child('hang');
    await c.ready;
    const sent = Date.now();
    c.proc.kill('SIGTERM');
    const [code] = await c.exited;
    expect(code).toBe(1);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(250);
    expect(c.output()).toContain(
      'still closing 300 ms after SIGTERM (SHUTDOWN_TIMEOUT_MS): exiting',
    );
  });

  it('takes a second signal while closing as the same one: the close runs to its end', async () => {
    const c = child('quick');
    await c.ready;
    // As `nest start` does: the signal its process group got, forwarded once more.
    c.proc.kill('SIGTERM');
    // Once the first is being handled (two at once would be one pending signal to the kernel).
    await c.closing;
    c.proc.kill('SIGTERM');
    await closedBySigterm(c);
  });

  it('exits 1 at once on a second signal a second or more after the first (a second Ctrl+C)', async () => {
    const c = child('hang', 10_000);
    await c.ready;
    c.proc.kill('SIGINT');
    // The echo window runs from when the child took the first signal, not from when it was sent.
    await c.closing;
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const again = Date.now();
    c.proc.kill('SIGINT');
    const [code] = await c.exited;
    expect(code).toBe(1);
    expect(Date.now() - again).toBeLessThan(2000);
    expect(c.output()).toContain('SIGINT while closing after SIGINT: exiting now, unclosed');
  });

  it('exits 1 when the close is stuck on a promise that nothing else keeps alive', async () => {
    const c = child('stuck');
    await c.ready;
    c.proc.kill('SIGTERM');
    const [code] = await c.exited;
    expect(code).toBe(1);
    expect(c.output()).toContain('still closing 300 ms after SIGTERM');
  });

  it('validates SHUTDOWN_TIMEOUT_MS with the app’s settings, naming it', () => {
    expect(() => validateConfig(ShutdownConfig, { SHUTDOWN_TIMEOUT_MS: 'soon' })).toThrow(
      /SHUTDOWN_TIMEOUT_MS="soon"/,
    );
  });
});
