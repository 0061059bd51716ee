/** A side-by-side table: a label column, then one column per variant. */
export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  /** Lines printed under the table. */
  notes?: string[];
  /** Per column, 'l' or 'r'; default: the first left, the others right. */
  align?: ('l' | 'r')[];
}

/** The table as text: labels left-aligned, values right-aligned, two spaces between columns. */
export function renderTable(table: Table): string {
  const all = [table.columns, ...table.rows];
  const widths = table.columns.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    `  ${row
      .map((cell, i) =>
        (table.align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'l'
          ? cell.padEnd(widths[i]!)
          : cell.padStart(widths[i]!),
      )
      .join('  ')}`.trimEnd();
  return [
    '',
    table.title,
    line(table.columns),
    `  ${widths.map((w) => '-'.repeat(w)).join('  ')}`,
    ...table.rows.map(line),
    ...(table.notes ?? []).map((n) => `  ${n}`),
  ].join('\n');
}

const missing = (x: number | null | undefined): x is null | undefined =>
  x === null || x === undefined || !Number.isFinite(x);

/** Number formats of the tables; `n/a` for what was not measured. */
export const fmt = {
  num: (x: number | null | undefined, digits = 1): string =>
    missing(x)
      ? 'n/a'
      : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }),
  int: (x: number | null | undefined): string =>
    missing(x) ? 'n/a' : Math.round(x).toLocaleString('en-US'),
  pct: (x: number | null | undefined): string => (missing(x) ? 'n/a' : `${(x * 100).toFixed(1)}%`),
  ratio: (x: number | null | undefined): string => (missing(x) ? 'n/a' : `${x.toFixed(2)}x`),
};

/** A note per phase (column) that had errors, with its first one. */
export function firstErrors(phases: readonly { firstError: string | null }[]): string[] {
  return phases.flatMap((p, i) =>
    p.firstError ? [`first error, column ${i + 1}: ${p.firstError}`] : [],
  );
}
