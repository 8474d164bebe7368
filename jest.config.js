/** Type-checking happens once in `npm run typecheck`; ts-jest only transpiles, which keeps the suite fast. */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // test/package packs and installs the package for real (minutes): `npm run test:package`, its own CI step.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/package/'],
  // Real registries for test/resolve (skipped loudly when docker-registry is not installed).
  globalSetup: '<rootDir>/test/setup/registries.ts',
  globalTeardown: '<rootDir>/test/setup/registries-teardown.ts',
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: 'tsconfig.test.json' }] },
};
