import { validateConfig } from '@app/config';
import { StreamerConfig } from './streamer.config';

describe('StreamerConfig', () => {
  it('takes its defaults', () => {
    expect(validateConfig(StreamerConfig, {})).toMatchObject({
      LOG_RETENTION_HOURS: 24,
      STREAMER_FAIL_RATE: 0,
    });
  });

  it('refuses a retention past what now() - interval can compute, and a fail rate that never publishes', () => {
    expect(() => validateConfig(StreamerConfig, { LOG_RETENTION_HOURS: '1e9' })).toThrow(
      /LOG_RETENTION_HOURS/,
    );
    expect(() => validateConfig(StreamerConfig, { STREAMER_FAIL_RATE: '1' })).toThrow(
      /STREAMER_FAIL_RATE/,
    );
  });
});
