import { generateApiKey, hashApiKey, parseBearer } from './api-key.util';

describe('api keys', () => {
  it('generates distinct keys that parse back from a Bearer header', () => {
    const a = generateApiKey();
    expect(a).not.toBe(generateApiKey());
    expect(parseBearer(`Bearer ${a}`)).toBe(a);
  });

  it.each(['bearer', 'BEARER', 'bEaReR'])(
    'takes the scheme in any case (%s), as RFC 9110 says',
    (scheme) => {
      const key = generateApiKey();
      expect(parseBearer(`${scheme} ${key}`)).toBe(key);
      expect(parseBearer(`${scheme}  ${key}`)).toBe(key);
    },
  );

  it('stores a hash, not the key', () => {
    const key = generateApiKey();
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).not.toContain(key);
  });

  it.each([
    undefined,
    '',
    'Bearer',
    'Bearer ',
    'Basic abcdefghijklmnopqrstuvwxyz',
    'Bearerabcdefghijklmnopqrstuvwxyz',
    'Token abcdefghijklmnopqrstuvwxyz',
    'Bearer short',
    `Bearer ${'a'.repeat(300)}`,
    "Bearer abcdefghijklmnopqrst'; DROP TABLE users;--",
    'Bearer abcdefghijklmnopqrstuvwxyz\r\nX-Evil: 1',
  ])('rejects %j', (header) => {
    expect(parseBearer(header)).toBeNull();
  });
});
