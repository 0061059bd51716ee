import { validateConfig } from '@app/config';
import { StartHaConfig } from './start-ha.config';

describe('StartHaConfig', () => {
  it('puts two APIs on API_PORT and up, and the observer after them', () => {
    const config = validateConfig(StartHaConfig, { TOKEN_SECRET: 'x'.repeat(16) });
    expect(config.apiPorts()).toEqual([5005, 5006]);
    expect(config.observerPort()).toBe(5007);
    expect(config.conflicts()).toEqual([]);
  });

  it('says what to change when the settings contradict each other', () => {
    expect(() =>
      validateConfig(StartHaConfig, { API_PROCESSES: '3', OBSERVER_PORT: '5006' }),
    ).toThrow(
      /TOKEN_SECRET is unset[\s\S]*OBSERVER_PORT=5006 is one of the API ports \(5005, 5006, 5007\): move OBSERVER_PORT, API_PORT or API_PROCESSES/,
    );
  });

  it('needs no shared secret for one API process', () => {
    expect(validateConfig(StartHaConfig, { API_PROCESSES: '1' }).apiPorts()).toEqual([5005]);
  });
});
