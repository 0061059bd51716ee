import { stopSignals } from './stop.signals';

describe('stopSignals', () => {
  it('stops on a hangup in a terminal, and leaves it alone without one (a nohup run)', () => {
    expect(stopSignals(true)).toEqual(['SIGINT', 'SIGTERM', 'SIGHUP']);
    expect(stopSignals(false)).toEqual(['SIGINT', 'SIGTERM']);
  });
});
