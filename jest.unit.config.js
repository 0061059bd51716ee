// Tier 1: pure logic, no database. Co-located *.spec.ts files.
module.exports = {
  ...require('./jest.base'),
  displayName: 'unit',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/tools'],
  testRegex: '/src/.*\\.spec\\.ts$|/tools/.*\\.spec\\.ts$',
};
