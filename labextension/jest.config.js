// Unit tests of the panel's pure parts (protocol parsing, state, view models) and of its React
// views in jsdom. ts-jest compiles the TypeScript with tsconfig.test.json; the tests import only
// nbsec's own modules, React and Lumino, so no JupyterLab package needs transforming.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['**/__tests__/**/*.spec.ts?(x)'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }]
  },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json']
};
