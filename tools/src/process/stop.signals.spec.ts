import { onStopSignals, stopSignals } from './stop.signals';

describe('stopSignals', () => {
  it('stops on a hangup in a terminal, and leaves it alone without one (a nohup run)', () => {
    expect(stopSignals(true)).toEqual(['SIGINT', 'SIGTERM', 'SIGHUP']);
    expect(stopSignals(false)).toEqual(['SIGINT', 'SIGTERM']);
  });
});

describe('onStopSignals', () => {
  it('stops on the first signal, takes one within a second as its echo, and forces on a later one', () => {
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const calls: string[] = [];
    // SIGUSR2 stands in for a stop signal: emitted here (with its name, as Node delivers one),
    // nothing is sent to the process.
    const off = onStopSignals(
      () => calls.push('stop'),
      (signal) => calls.push(`force ${signal}`),
      ['SIGUSR2'],
    );
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      now += 999;
      process.emit('SIGUSR2', 'SIGUSR2');
      expect(calls).toEqual(['stop']);
      now += 1;
      process.emit('SIGUSR2', 'SIGUSR2');
      expect(calls).toEqual(['stop', 'force SIGUSR2']);
    } finally {
      off();
      jest.restoreAllMocks();
    }
    expect(process.listenerCount('SIGUSR2')).toBe(0);
  });
});
