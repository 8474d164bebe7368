/** The slower suite (`npm run test:package`): pack the package, install it as users do, run pre-commit on it. */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/package/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: 'tsconfig.test.json' }] },
};
