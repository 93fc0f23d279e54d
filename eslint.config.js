// Lint (`npm run lint`): a small rule set, type-aware where promises are concerned. A promise nobody
// awaits loses its error (an unhandled rejection kills the process, or a failed send goes unseen);
// fire-and-forget is written `void promise` with a comment that says why.
// Node built-ins in workflow code and the import layers are checked by dependency-cruiser (`npm run deps`).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.nudge/', 'coverage/', '**/*.d.ts'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
);
