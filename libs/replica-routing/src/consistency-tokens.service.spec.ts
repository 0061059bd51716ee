import { ConsistencyTokens } from './consistency-tokens.service';
import { InvalidConsistencyTokenError } from './exceptions/invalid-consistency-token.exception';
import { parseLsn } from './lsn.util';
import { resolveOptions } from './replica-routing.options';

const tokens = (tokenSecret?: string) =>
  new ConsistencyTokens(resolveOptions({ primary: { url: 'postgres://p' }, tokenSecret }));

describe('ConsistencyTokens', () => {
  const lsn = parseLsn('16/B374D848');

  it('without a secret, hands out and takes bare WAL positions', () => {
    const plain = tokens();
    expect(plain.format(lsn)).toBe('16/B374D848');
    expect(plain.parse('16/b374d848')).toEqual({ lsn, tli: null, signed: false });
  });

  it('names the timeline: `<tli>:<X/Y>`, signed over both', () => {
    const signer = tokens('a-secret-of-32-characters-------');
    expect(tokens().format({ tli: 3, lsn })).toBe('3:16/B374D848');
    expect(tokens().parse('3:16/B374D848')).toEqual({ lsn, tli: 3, signed: false });
    const text = signer.format({ tli: 3, lsn });
    expect(text).toMatch(/^3:16\/B374D848\.[A-Za-z0-9_-]{22}$/);
    expect(signer.parse(text)).toEqual({ lsn, tli: 3, signed: true });
    // Another timeline under the same signature is a forgery.
    expect(() => signer.parse(text.replace(/^3:/, '4:'))).toThrow(InvalidConsistencyTokenError);
    expect(() => signer.parse(text.replace(/^3:/, ''))).toThrow(InvalidConsistencyTokenError);
    expect(() => tokens().parse('0:16/B374D848')).toThrow(InvalidConsistencyTokenError);
    expect(() => tokens().parse('99999999999:16/B374D848')).toThrow(InvalidConsistencyTokenError);
    expect(tokens().toPosition(text.split('.')[0])).toEqual({ tli: 3, lsn });
  });

  it('with a secret, signs what it hands out, short and header-safe, and verifies it', () => {
    const signer = tokens('a-secret-of-32-characters-------');
    const text = signer.format(lsn);
    expect(text).toMatch(/^16\/B374D848\.[A-Za-z0-9_-]{22}$/);
    expect(text.length).toBeLessThanOrEqual(40);
    expect(signer.parse(text)).toEqual({ lsn, tli: null, signed: true });
    expect(tokens('a-secret-of-32-characters-------').parse(text).signed).toBe(true);
    // Unsigned tokens still parse (their trust is the router's business).
    expect(signer.parse('0/10')).toEqual({ lsn: 16n, tli: null, signed: false });
  });

  it('refuses an altered position, another secret, and a signature it cannot check', () => {
    const text = tokens('a-secret-of-32-characters-------').format(lsn);
    const [, signature] = text.split('.');
    const refused = (t: ConsistencyTokens, s: string) => {
      try {
        t.parse(s);
      } catch (error) {
        return error instanceof InvalidConsistencyTokenError ? error.rejection : 'other';
      }
      return 'accepted';
    };
    const same = tokens('a-secret-of-32-characters-------');
    expect(refused(same, `16/B374D849.${signature}`)).toBe('bad_signature');
    expect(refused(same, `16/0B374D848.${signature}`)).toBe('malformed');
    expect(refused(tokens('another-secret-of-32-characters-'), text)).toBe('bad_signature');
    expect(refused(tokens(), text)).toBe('bad_signature');
    expect(refused(same, `${text}x`)).toBe('malformed');
  });

  it('rejects a secret too short to be one', () => {
    expect(() => tokens('short')).toThrow(/tokenSecret must have at least 16 characters/);
  });
});
