// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'build-cmake/', 'build-native/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['it', 'describe', 'test', 'before', 'after'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The pure core never touches the edges directly: it takes small interfaces. Adapters live at
    // the edges (src/ros/, src/policy/onnx/, src/native/) and are wired together in src/app/.
    files: [
      'src/policy/**',
      'src/gcpg/**',
      'src/tpo/**',
      'src/node/**',
      'src/episode/**',
      'src/bag/**',
      'src/sim/**',
      'src/eval/**',
      'src/report/**',
    ],
    ignores: ['src/policy/onnx/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['rclnodejs'], message: 'Only src/ros/ imports rclnodejs.' },
            { group: ['onnxruntime-node'], message: 'Only src/policy/onnx/ imports onnxruntime-node.' },
            { group: ['**/native/addon*', '**/native/native-head*'], message: 'Take an ActionHead instead.' },
          ],
        },
      ],
    },
  },
  prettier,
);
