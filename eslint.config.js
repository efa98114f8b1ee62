// Type-aware lint: floating and misused promises are the bugs that hurt controllers most.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cluster/', 'engines/', '.eddy/', 'bench/results/', 'lib/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself tracks.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      'max-lines-per-function': ['warn', { max: 80, skipBlankLines: true, skipComments: true }],
      complexity: ['warn', 15],
    },
  },
  {
    // A describe() block naturally holds many tests.
    files: ['**/*.test.ts'],
    rules: { 'max-lines-per-function': 'off', complexity: 'off' },
  },
  {
    // An ES module import of node:http loads Node's bundled undici (ADR 1): take the module from
    // src/runtime/node-http.ts. Tests may import it.
    files: ['src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [
          { name: 'node:http', message: "use `http` from src/runtime/node-http.ts (ADR 1)", allowTypeImports: true },
          { name: 'http', message: "use `http` from src/runtime/node-http.ts (ADR 1)", allowTypeImports: true },
        ],
      }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
