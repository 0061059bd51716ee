import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand, spawnChild, type Child, type OutputStream } from './child.process';
import { isRunning } from './process.probe';

const NODE = process.execPath;
/** A node child that ignores SIGTERM and says so once it has set that up. */
const STUBBORN =
  "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)";
const OBEDIENT = "console.log('ready'); setInterval(() => {}, 1000)";

/** Starts `node -e script`; resolves with the child and its lines once it has printed `until`. */
async function start(script: string, until = 'ready') {
  const lines: string[] = [];
  let ready!: () => void;
  const printed = new Promise<void>((resolve) => (ready = resolve));
  const child = spawnChild({
    name: 'kid',
    command: NODE,
    args: ['-e', script],
    onLine: (line) => {
      lines.push(line);
      if (line.startsWith(until)) ready();
    },
  });
  started.push(child);
  await printed;
  return { child, lines };
}

/** A child that starts `node -e grandchild` and says `ready <its pid>` once that one is ready. */
async function startWithGrandchild(grandchild: string) {
  const script = [
    "const { spawn } = require('node:child_process');",
    `const g = spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: ['ignore', 'pipe', 'ignore'] });`,
    "g.stdout.once('data', () => console.log('ready ' + g.pid));",
    'setInterval(() => {}, 1000);',
  ].join('\n');
  const { child, lines } = await start(script);
  return { child, grandchild: Number(lines[0]!.split(' ')[1]) };
}

const started: Child[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.kill()));
});

describe('spawnChild', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'child-process-spec-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints each line of stdout and stderr with its name in front, and appends it to the log file', async () => {
    const printed: string[] = [];
    const seen: [string, OutputStream][] = [];
    const logFile = join(dir, 'kid.log');
    const child = spawnChild({
      name: 'kid',
      command: NODE,
      args: ['-e', "console.log('one'); console.error('two'); console.log('three')"],
      logFile,
      print: { width: 6, to: { write: (text: string) => printed.push(text) } },
      onLine: (line, stream) => seen.push([line, stream]),
    });
    await expect(child.closed).resolves.toEqual({ code: 0, signal: null });
    expect(printed.sort()).toEqual(['kid    | one\n', 'kid    | three\n', 'kid    | two\n']);
    expect(seen).toEqual(
      expect.arrayContaining([
        ['one', 'stdout'],
        ['two', 'stderr'],
        ['three', 'stdout'],
      ]),
    );
    expect(readFileSync(logFile, 'utf8').split('\n').sort()).toEqual(['', 'one', 'three', 'two']);
  });

  it('reports a command that cannot start as a line and an exit', async () => {
    const lines: string[] = [];
    const exits: (number | null)[] = [];
    const child = spawnChild({
      name: 'missing',
      command: '/nonexistent/command',
      args: [],
      onLine: (line) => lines.push(line),
      onExit: (code) => exits.push(code),
    });
    const status = await child.exited;
    expect(status.code).toBeLessThan(0);
    expect(exits).toEqual([status.code]);
    expect(lines).toEqual([
      expect.stringMatching(/^could not start \/nonexistent\/command: .*ENOENT/),
    ]);
    await expect(child.stop()).resolves.toBe('gone');
  });

  it('stops a child with SIGTERM and reports its exit once', async () => {
    const { child } = await start(OBEDIENT);
    await expect(child.stop()).resolves.toBe('stopped');
    expect(child.exitStatus).toEqual({ code: null, signal: 'SIGTERM' });
    expect(child.running).toBe(false);
  });

  it('escalates to SIGKILL after the timeout when SIGTERM is ignored', async () => {
    const { child } = await start(STUBBORN);
    const from = Date.now();
    await expect(child.stop({ timeoutMs: 400 })).resolves.toBe('killed');
    expect(Date.now() - from).toBeGreaterThanOrEqual(400);
    expect(child.exitStatus).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('stops the whole group: a grandchild that ignores SIGTERM dies with it', async () => {
    const { child, grandchild } = await startWithGrandchild(STUBBORN);
    expect(isRunning(grandchild)).toBe(true);
    // The child itself exits at SIGTERM; what it left behind is waited for, then killed.
    await expect(child.stop({ timeoutMs: 400 })).resolves.toBe('killed');
    expect(child.exitStatus?.signal).toBe('SIGTERM');
    expect(isRunning(grandchild)).toBe(false);
  });

  it('signals only the child with group: false, and still kills what it leaves behind', async () => {
    const { child, grandchild } = await startWithGrandchild(OBEDIENT);
    const from = Date.now();
    await expect(child.stop({ group: false, timeoutMs: 400 })).resolves.toBe('killed');
    // The grandchild never got the SIGTERM (it would have obeyed it): it waited for SIGKILL.
    expect(Date.now() - from).toBeGreaterThanOrEqual(400);
    expect(isRunning(grandchild)).toBe(false);
  });

  it('is safe to stop twice, at once and after the exit; a SIGKILL meanwhile cuts the wait short', async () => {
    const { child } = await start(OBEDIENT);
    await expect(Promise.all([child.stop(), child.stop()])).resolves.toEqual([
      'stopped',
      'stopped',
    ]);
    await expect(child.stop()).resolves.toBe('stopped');
    expect(child.signal('SIGTERM')).toBe(false);

    const { child: stubborn } = await start(STUBBORN);
    const from = Date.now();
    const stopping = stubborn.stop({ timeoutMs: 10_000 });
    await stubborn.kill();
    await stopping;
    expect(Date.now() - from).toBeLessThan(5_000);
    expect(stubborn.exitStatus?.signal).toBe('SIGKILL');
  });

  it('says a child that exited by itself is gone, without signalling anything', async () => {
    const child = spawnChild({ name: 'brief', command: NODE, args: ['-e', 'process.exit(3)'] });
    await expect(child.exited).resolves.toEqual({ code: 3, signal: null });
    await expect(child.stop()).resolves.toBe('gone');
  });
});

describe('runCommand', () => {
  it('returns the trimmed stdout', () => {
    expect(runCommand(NODE, ['-e', "console.log('  out  ')"])).toBe('out');
  });

  it('fails naming the command, its exit code and its stderr', () => {
    expect(() => runCommand(NODE, ['-e', "console.error('boom'); process.exit(3)"])).toThrow(
      /node -e .* failed \(code 3\): boom$/,
    );
  });

  it('fails naming a command that cannot run', () => {
    expect(() => runCommand('/nonexistent/command', [])).toThrow(
      '/nonexistent/command: could not run: spawnSync /nonexistent/command ENOENT',
    );
  });
});
