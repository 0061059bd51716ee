import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHistoryFile } from './history.check';

describe('checkHistoryFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'history-check-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, records: object[]) => {
    const path = join(dir, name);
    writeFileSync(path, records.map((r) => JSON.stringify(r)).join('\n'));
    return path;
  };
  const base = { client: 'u1', tokenSent: null, node: 'replica0' };
  const write = { ...base, op: 'write', ride: 1, distance: 10, status: 201, start: 1, end: 2 };
  const written = { ...write, tokenReceived: '1:0/100' };

  it('a history with reads checked against writes and nothing broken: 0', () => {
    const read = { ...base, op: 'read', ride: 1, distance: 10, status: 200, start: 3, end: 4 };
    const path = file('ok.jsonl', [written, { ...read, tokenReceived: '1:0/100' }]);
    expect(checkHistoryFile(path, () => undefined)).toBe(0);
  });

  it('a history where no read could be checked (every read failed) proves nothing: 1', () => {
    const failed = { ...base, op: 'read', ride: 1, status: 503, start: 3, end: 4 };
    const said: string[] = [];
    const path = file('vacuous.jsonl', [written, { ...failed, tokenReceived: null }]);
    expect(checkHistoryFile(path, (line) => said.push(line))).toBe(1);
    expect(said.at(-1)).toMatch(/proves nothing/);
  });
});
