import { validateConfig } from '@app/config';
import { ApiConfig } from '../../../apps/api/src/config/api.config';
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

  it('puts the proxy on 5080, giving each API process as many requests as it takes itself', () => {
    const config = validateConfig(StartHaConfig, { TOKEN_SECRET: 'x'.repeat(16) });
    expect(config.PROXY_PORT).toBe(5080);
    expect(config.PROXY_QUEUE_MS).toBe(2000);
    expect(config.API_MAX_IN_FLIGHT).toBe(new ApiConfig().API_MAX_IN_FLIGHT);
    expect(
      validateConfig(StartHaConfig, { TOKEN_SECRET: 'x'.repeat(16), API_MAX_IN_FLIGHT: '8' })
        .API_MAX_IN_FLIGHT,
    ).toBe(8);
  });

  it('refuses a proxy port an API process or the observer has', () => {
    expect(() =>
      validateConfig(StartHaConfig, { TOKEN_SECRET: 'x'.repeat(16), PROXY_PORT: '5007' }),
    ).toThrow(
      /PROXY_PORT=5007 is taken by an API process or the observer \(5005, 5006, 5007\): move PROXY_PORT/,
    );
  });

  it('needs no shared secret for one API process', () => {
    expect(validateConfig(StartHaConfig, { API_PROCESSES: '1' }).apiPorts()).toEqual([5005]);
  });
});
