/**
 * Jest runs the TypeScript sources as ES modules (NestJS 12 ships ESM only):
 * `node --experimental-vm-modules` plus ts-jest's ESM mode. Relative `.js` specifiers and the
 * `#src/*` / `#migrations/*` imports are mapped back to the .ts sources.
 */
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^#src/(.*)\\.js$': '<rootDir>/src/$1',
    '^#migrations/(.*)\\.js$': '<rootDir>/migrations/$1',
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^content-disposition$': '<rootDir>/test/stubs/content-disposition.cjs',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  testEnvironment: 'node',
};

export default {
  // Starting the app (and an embedded database) can take seconds on a busy machine, a fresh
  // DATA_DIR (initdb) tens of seconds on a loaded 2-core one: a timeout here is not a speed check.
  testTimeout: 150000,
  projects: [
    { ...common, displayName: 'unit', rootDir: '.', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', rootDir: '.', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
    // Swagger UI in headless Chromium (npm run test:browser; .ci/run installs Debian's chromium).
    { ...common, displayName: 'browser', rootDir: '.', testMatch: ['<rootDir>/test/**/*.browser-spec.ts'] },
  ],
};
