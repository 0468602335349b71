// Jest runs the TypeScript tests as ESM (ts-jest's ESM preset), because the library is ESM and
// p-queue is ESM-only: Node's own loader then resolves p-queue with no transform of node_modules.
/** @type {import('jest').Config} */
export default {
  testEnvironment: '<rootDir>/__tests__/helpers/leak-checking-environment.js',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1', '^streamtask$': '<rootDir>/lib/index.ts' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.check.json' }] },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  testTimeout: 20000,
};
