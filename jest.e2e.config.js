// Tiers 2 and 3: the library and the apps against a real primary with real streaming replicas.
// The global setup starts a private cluster (ports from E2E_POSTGRES_PORT, default 25433) unless
// E2E_EXTERNAL=1 points the suite at a running stack (see test/e2e/e2e.env.ts).
module.exports = {
  ...require('./jest.base'),
  displayName: 'e2e',
  roots: ['<rootDir>/libs', '<rootDir>/apps'],
  testRegex: '/test/.*\\.e2e-spec\\.ts$',
  globalSetup: '<rootDir>/test/e2e/global-setup.ts',
  globalTeardown: '<rootDir>/test/e2e/global-teardown.ts',
  // One cluster, shared: suites pause replay and stop nodes, so they run one at a time.
  maxWorkers: 1,
  testTimeout: 60_000,
  // In band, a failed suite that leaves a handle open (a pool, a socket) would keep jest waiting
  // for ever after the last test: exit once the run is over, as CI needs.
  forceExit: true,
};
