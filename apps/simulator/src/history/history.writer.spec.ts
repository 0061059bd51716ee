import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryWriter } from './history.writer';

describe('HistoryWriter', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'history-writer-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a path it cannot write at once, naming SIM_HISTORY_FILE', () => {
    const path = join(dir, 'missing', 'history.jsonl');
    expect(() => new HistoryWriter(path)).toThrow(`SIM_HISTORY_FILE=${path}: cannot be written`);
  });

  it('writes one JSON line per record', async () => {
    const path = join(dir, 'history.jsonl');
    const writer = new HistoryWriter(path);
    writer.record({ session: 'u0', op: 'write' } as never);
    await writer.close();
    expect(readFileSync(path, 'utf8')).toBe('{"session":"u0","op":"write"}\n');
  });

  it('fails its close when a write failed: a history with holes is not checked', async () => {
    const writer = new HistoryWriter('/dev/full');
    writer.record({ session: 'u0', op: 'write' } as never);
    await expect(writer.close()).rejects.toThrow('SIM_HISTORY_FILE=/dev/full: ENOSPC');
  });
});
