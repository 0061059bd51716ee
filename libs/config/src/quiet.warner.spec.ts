import { QuietWarner } from './quiet.warner';

describe('QuietWarner', () => {
  let now = 0;
  let said: string[];
  let warner: QuietWarner;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(performance, 'now').mockImplementation(() => now);
    said = [];
    warner = new QuietWarner({ warn: (m: unknown) => void said.push(String(m)) }, 10_000);
  });
  afterEach(() => jest.restoreAllMocks());

  it('says a repeated warning once, then after everyMs with how often it recurred', () => {
    for (let i = 0; i < 5; i++) warner.warn('primary down');
    now += 10_000;
    warner.warn('primary down');
    expect(said).toEqual(['primary down', 'primary down (4 more times since)']);
  });

  it('times its quiet on a monotonic clock: the wall clock stepped an hour back silences nothing longer', () => {
    let wall = 2_000_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => wall);
    warner.warn('primary down');
    wall -= 3_600_000;
    now += 10_000;
    warner.warn('primary down');
    expect(said).toEqual(['primary down', 'primary down']);
  });

  it('keeps two alternating warnings apart: each said once', () => {
    for (let i = 0; i < 10; i++) warner.warn(i % 2 ? 'read failed' : 'write failed');
    expect(said).toEqual(['write failed', 'read failed']);
  });

  it('remembers at most 100 warnings: the one said longest ago is said again', () => {
    for (let i = 0; i <= 100; i++) warner.warn(`w${i}`);
    warner.warn('w0');
    warner.warn('w100');
    expect(said.slice(-1)).toEqual(['w0']);
    expect(said).toHaveLength(102);
  });

  it('takes warnings with the same key as one: the first is said, the others counted', () => {
    warner.warn('not at 0/1000', 'not at X');
    warner.warn('not at 0/2000', 'not at X');
    now += 10_000;
    warner.warn('not at 0/3000', 'not at X');
    expect(said).toEqual(['not at 0/1000', 'not at 0/3000 (1 more times since)']);
  });
});
