import { fmt, renderTable } from './table.printer';

describe('renderTable', () => {
  it('aligns labels left and values right', () => {
    const text = renderTable({
      title: 'T',
      columns: ['', 'a', 'bbbb'],
      rows: [
        ['req/s', '12.0', '3.0'],
        ['p99 ms', '1.0', '100.0'],
      ],
      notes: ['note'],
    });
    expect(text.split('\n')).toEqual([
      '',
      'T',
      '             a   bbbb',
      '  ------  ----  -----',
      '  req/s   12.0    3.0',
      '  p99 ms   1.0  100.0',
      '  note',
    ]);
  });
});

describe('fmt', () => {
  it('prints n/a for what was not measured', () => {
    expect(fmt.num(null)).toBe('n/a');
    expect(fmt.num(NaN)).toBe('n/a');
    expect(fmt.pct(undefined)).toBe('n/a');
    expect(fmt.num(1234.567, 2)).toBe('1,234.57');
    expect(fmt.pct(0.9512)).toBe('95.1%');
    expect(fmt.ratio(1.234)).toBe('1.23x');
  });
});
