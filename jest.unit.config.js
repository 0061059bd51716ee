// Tier 1: pure logic, no database. Co-located *.spec.ts files.
module.exports = {
  ...require('./jest.base'),
  displayName: 'unit',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/scripts'],
  testRegex: '/src/.*\\.spec\\.ts$|/scripts/.*\\.spec\\.ts$',
};
