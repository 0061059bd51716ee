import { validateConfig } from '@app/config';
import { HaLauncherConfig } from './ha-launcher.config';

describe('HaLauncherConfig', () => {
  it('defaults to three synchronous nodes in ./.cluster-ha', () => {
    const config = validateConfig(HaLauncherConfig, {});
    expect(config).toMatchObject({
      HA_NODES: 3,
      PATRONI_PORT: 8008,
      ETCD_PORT: 2479,
      HA_SYNCHRONOUS: 'on',
    });
    expect(config.dataDir).toBe(`${process.cwd()}/.cluster-ha`);
  });

  it('stops with a message naming every bad variable', () => {
    expect(() =>
      validateConfig(HaLauncherConfig, { HA_NODES: '1', PATRONI_PORT: 'x', HA_SYNCHRONOUS: 'yes' }),
    ).toThrow(
      /HA_NODES="1": HA_NODES must not be less than 2[\s\S]*PATRONI_PORT="x"[\s\S]*HA_SYNCHRONOUS="yes"/,
    );
    expect(() => validateConfig(HaLauncherConfig, { HA_NODES: '10' })).toThrow(
      'HA_NODES must not be greater than 9',
    );
  });
});
