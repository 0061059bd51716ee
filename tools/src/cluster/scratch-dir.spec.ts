import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recreateScratchDir, SCRATCH_MARKER } from './scratch-dir';

describe('recreateScratchDir', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'scratch-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const never = () => false;

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

  it('takes an unmarked directory that holds what the launcher builds (from before the marker)', () => {
    const dir = join(root, 'cluster');
    mkdirSync(join(dir, 'primary'), { recursive: true });
    writeFileSync(join(dir, 'primary', 'PG_VERSION'), '15');
    recreateScratchDir(dir, (d) => existsSync(join(d, 'primary', 'PG_VERSION')));
    expect(readdirSync(dir)).toEqual([SCRATCH_MARKER]);
  });
});
