import { formatLsn, type Position } from '@app/replica-routing';
import { signStored } from './outbox.store';

describe('signStored', () => {
  const sign = (p: Position) => `${p.tli}:${formatLsn(p.lsn)}.signed`;

  it('signs the unsigned position the claim stores', () => {
    expect(signStored('3:0/3000148', sign)).toBe('3:0/3000148.signed');
    expect(signStored('12:1A/FF00AB', sign)).toBe('12:1A/FF00AB.signed');
  });

  it('keeps a token an earlier streamer stored signed', () => {
    expect(signStored('1:0/3000148.abcDEF_-', sign)).toBe('1:0/3000148.abcDEF_-');
  });
});
