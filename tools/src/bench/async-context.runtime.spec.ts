import { contextFlip } from './async-context.runtime';

describe('contextFlip', () => {
  it('turns AsyncContextFrame on where Node 22.7 and 23 have it behind a flag', () => {
    for (const version of ['22.7.0', '22.23.5', '23.11.1'])
      expect(contextFlip(version)).toEqual({
        asRun: 'promise hooks',
        other: 'AsyncContextFrame',
        flag: '--experimental-async-context-frame',
      });
  });

  it('turns it off from Node 24, where it is the default', () => {
    expect(contextFlip('24.0.0')).toMatchObject({
      asRun: 'AsyncContextFrame',
      flag: '--no-async-context-frame',
    });
  });

  it('has nothing to flip before 22.7', () => {
    expect(contextFlip('22.6.0')).toBeNull();
    expect(contextFlip('20.20.2')).toBeNull();
  });
});
