import { OPENS_TRANSACTION } from './connection.lender';

describe('OPENS_TRANSACTION (nothing is sent behind a statement that opens a transaction)', () => {
  it.each([
    'BEGIN',
    '  begin isolation level repeatable read',
    'START TRANSACTION READ ONLY',
    '/* a comment */ BEGIN',
    '-- a comment\nBEGIN',
    '/* one */ -- two\n  start  transaction',
  ])('knows %j', (text) => expect(OPENS_TRANSACTION.test(text)).toBe(true));

  it.each([
    'SELECT 1',
    'BEGINNING',
    "SELECT 'BEGIN'",
    '-- BEGIN\nSELECT 1',
    '/* BEGIN */ SELECT 1',
  ])('lets %j through', (text) => expect(OPENS_TRANSACTION.test(text)).toBe(false));
});
