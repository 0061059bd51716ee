import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every entry point of the package, as its subpath exports name them. */
const ENTRY_POINTS = [
  'index.ts',
  ...['typeorm', 'kysely', 'drizzle', 'pg', 'nest', 'express', 'fastify'].map(
    (d) => `${d}/index.ts`,
  ),
];

/** The names an index file exports (`export { a, b as c, type D } from '...'`). */
function exportedNames(file: string): string[] {
  const text = readFileSync(join(__dirname, file), 'utf8');
  return [...text.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) =>
    m[1]!
      .split(',')
      .map((item) => item.trim().replace(/^type /, ''))
      .filter(Boolean)
      .map((item) => item.split(/\s+as\s+/).at(-1)!),
  );
}

describe('the public API', () => {
  const docs = readFileSync(join(__dirname, '../../../docs/api.md'), 'utf8');

  it.each(ENTRY_POINTS)('documents everything %s exports in docs/api.md', (file) => {
    const names = exportedNames(file);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !new RegExp(`\\b${name}\\b`).test(docs))).toEqual([]);
  });

  it('exports no internals from the core', () => {
    const internals = [
      'NodeRegistry',
      'RoutingContext',
      'RoutingScope',
      'Topology',
      'NodeExecutor',
      'NodeState',
    ];
    expect(exportedNames('index.ts').filter((n) => internals.includes(n))).toEqual([]);
  });
});
