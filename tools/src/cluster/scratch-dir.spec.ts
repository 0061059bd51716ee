import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recreateScratchDir, SCRATCH_MARKER } from './scratch-dir';

describe('recreateScratchDir', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'scratch-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const never = { entries: /^$/, holds: 'nothing' };
  const cluster = { entries: /^(primary|replica\d+|log)$/, holds: join('primary', 'PG_VERSION') };

  it('creates a missing directory, marked', () => {
    const dir = join(root, 'data');
    recreateScratchDir(dir, never);
    expect(readdirSync(dir)).toEqual([SCRATCH_MARKER]);
  });

  it('empties a directory it built before, or an empty one', () => {
    const dir = join(root, 'data');
    recreateScratchDir(dir, never);
    writeFileSync(join(dir, 'old'), 'x');
    recreateScratchDir(dir, never);
    expect(readdirSync(dir)).toEqual([SCRATCH_MARKER]);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    recreateScratchDir(empty, never);
    expect(readdirSync(empty)).toEqual([SCRATCH_MARKER]);
  });

  it('refuses a directory it did not build, and leaves it as it was', () => {
    const dir = join(root, 'home');
    mkdirSync(dir);
    writeFileSync(join(dir, 'thesis.tex'), 'years of work');
    expect(() => recreateScratchDir(dir, never)).toThrow(/not built by this launcher/);
    expect(existsSync(join(dir, 'thesis.tex'))).toBe(true);
  });

  it('takes an unmarked directory that holds only what the launcher builds (from before the marker)', () => {
    const dir = join(root, 'cluster');
    mkdirSync(join(dir, 'primary'), { recursive: true });
    mkdirSync(join(dir, 'replica0'));
    writeFileSync(join(dir, 'primary', 'PG_VERSION'), '15');
    recreateScratchDir(dir, cluster);
    expect(readdirSync(dir)).toEqual([SCRATCH_MARKER]);
  });

  it('refuses an unmarked directory with anything else beside such a layout', () => {
    const dir = join(root, 'home');
    mkdirSync(join(dir, 'primary'), { recursive: true });
    writeFileSync(join(dir, 'primary', 'PG_VERSION'), '15');
    writeFileSync(join(dir, 'thesis.tex'), 'years of work');
    expect(() => recreateScratchDir(dir, cluster)).toThrow(/not built by this launcher/);
    expect(existsSync(join(dir, 'thesis.tex'))).toBe(true);
  });

  it('refuses a symbolic link, dangling or not', () => {
    const target = join(root, 'target');
    recreateScratchDir(target, never);
    for (const [name, to] of [
      ['link', target],
      ['dangling', join(root, 'gone')],
    ] as const) {
      symlinkSync(to, join(root, name));
      expect(() => recreateScratchDir(join(root, name), never)).toThrow(/symbolic link/);
    }
    expect(readdirSync(target)).toEqual([SCRATCH_MARKER]);
  });
});
