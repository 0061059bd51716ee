import { InvalidConsistencyTokenError } from './exceptions/invalid-consistency-token.exception';
import { formatLsn, maxLsn, parseDbLsn, parseLsn, toLsn } from './lsn.util';

describe('lsn.util', () => {
  it('parses the X/Y form into a 64-bit position', () => {
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(parseLsn('FFFFFFFF/FFFFFFFF')).toBe(2n ** 64n - 1n);
    expect(parseLsn('a/b')).toBe((0xan << 32n) | 0xbn);
  });

  it('compares numerically where the text form would not', () => {
    // As strings '0/9' > '0/10'; as positions it is the other way round.
    expect(parseLsn('0/9') < parseLsn('0/10')).toBe(true);
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
  });

  it.each([
    '',
    '0',
    '/0',
    '0/',
    '0/G',
    'x/1',
    '0/1/2',
    ' 0/1',
    '0/1 ',
    '123456789/0',
    '0/123456789',
    '-1/0',
    '0x1/0',
  ])('rejects %j', (text) => {
    expect(() => parseLsn(text)).toThrow(InvalidConsistencyTokenError);
  });

  it('reads positions either side of 2^53 exactly (one Number below, BigInt arithmetic above)', () => {
    expect(parseLsn('1FFFFF/FFFFFFFF')).toBe(2n ** 53n - 1n);
    expect(parseLsn('200000/0')).toBe(2n ** 53n);
    expect(parseLsn('200000/1')).toBe(2n ** 53n + 1n);
    expect(parseLsn('abcdef12/3456789a')).toBe(0xabcdef123456789an);
  });

  it('agrees with the X/Y pattern on every text, valid or not', () => {
    const pattern = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;
    const alphabet = '0123456789abcdefABCDEFgG/ x-';
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    let valid = 0;
    for (let n = 0; n < 20_000; n++) {
      let text = '';
      for (let len = next() % 19; len > 0; len--) text += alphabet[next() % alphabet.length];
      const match = pattern.exec(text);
      if (match) valid++;
      if (match)
        expect(parseLsn(text)).toBe((BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`));
      else expect(() => parseLsn(text)).toThrow(InvalidConsistencyTokenError);
    }
    // Both kinds, many of each (about 3,000 of the texts are positions).
    expect(valid).toBeGreaterThan(1_000);
  });

  it('rejects overlong input without reading it', () => {
    expect(() => parseLsn('0/1'.padEnd(10_000, '0'))).toThrow(InvalidConsistencyTokenError);
  });

  it('round-trips through the text form Postgres uses', () => {
    for (const text of ['0/0', '0/16B3748', '16/B374D848', 'FFFFFFFF/FFFFFFFF']) {
      expect(formatLsn(parseLsn(text))).toBe(text);
    }
  });

  it('reads database values, where NULL means unknown', () => {
    expect(parseDbLsn(null)).toBeNull();
    expect(parseDbLsn('0/10')).toBe(16n);
  });

  it('takes the later of two positions, null meaning no requirement', () => {
    expect(maxLsn(null, null)).toBeNull();
    expect(maxLsn(undefined, 5n)).toBe(5n);
    expect(maxLsn(7n, null)).toBe(7n);
    expect(maxLsn(7n, 9n)).toBe(9n);
    expect(maxLsn(9n, 7n)).toBe(9n);
  });

  it('accepts tokens in any form a caller holds', () => {
    expect(toLsn(undefined)).toBeNull();
    expect(toLsn('')).toBeNull();
    expect(toLsn(3n)).toBe(3n);
    expect(toLsn('0/3')).toBe(3n);
  });
});
