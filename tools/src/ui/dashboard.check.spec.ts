import { problems } from './dashboard.check';

describe('dashboard check', () => {
  const nodes = ['primary', 'replica0', 'replica1'];

  it('passes when every chart has points and every node is listed', () => {
    expect(problems({ charts: { reads: 12, lag: 3 }, nodes }, nodes)).toEqual([]);
  });

  it('names each empty chart and each missing node', () => {
    expect(problems({ charts: { reads: 12, lag: 0 }, nodes: ['primary'] }, nodes)).toEqual([
      'chart lag has no data points',
      'node replica0 missing from the node list',
      'node replica1 missing from the node list',
    ]);
  });

  it('fails a page without charts', () => {
    expect(problems({ charts: {}, nodes }, nodes)).toEqual(['no charts on the page']);
  });
});
