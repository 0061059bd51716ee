import { summarizeProfile, type CpuProfile } from './overhead.profile';

const frame = (functionName: string, url: string, lineNumber = 0) => ({
  functionName,
  url,
  lineNumber,
});

describe('summarizeProfile', () => {
  // 10 samples over 1,000 µs: 100 µs each.
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(idle)', '') },
      { id: 2, callFrame: frame('readOnce', 'file:///repo/libs/replica-routing/src/r.ts', 9) },
      { id: 3, callFrame: frame('parse', 'file:///repo/node_modules/pg-protocol/dist/parser.js') },
      { id: 4, callFrame: frame('(garbage collector)', '') },
      { id: 5, callFrame: frame('', 'file:///repo/libs/replica-routing/src/view.ts', 4) },
      { id: 6, callFrame: frame('writev', '') },
    ],
    startTime: 0,
    endTime: 1000,
    samples: [1, 2, 2, 2, 3, 3, 4, 5, 6, 1],
  };

  it('charges each sample to the function on top, idle left out, per read', () => {
    const s = summarizeProfile(profile, 2, '/repo', 3);
    expect(s.usPerRead).toBeCloseTo(400);
    expect(s.top.map((t) => [t.fn, t.usPerRead])).toEqual([
      ['readOnce (libs/replica-routing/src/r.ts:10)', 150],
      ['parse (node_modules/pg-protocol/dist/parser.js:1)', 100],
      ['(garbage collector)', 50],
    ]);
    expect(s.top[0]!.share).toBeCloseTo(3 / 8);
  });

  it('ranks the library apart and sums the areas', () => {
    const s = summarizeProfile(profile, 2, '/repo');
    expect(s.library.map((t) => t.fn)).toEqual([
      'readOnce (libs/replica-routing/src/r.ts:10)',
      '(anonymous) (libs/replica-routing/src/view.ts:5)',
    ]);
    expect(s.areas).toEqual({ library: 200, pg: 100, node: 0, writev: 50, gc: 50, other: 0 });
  });
});
