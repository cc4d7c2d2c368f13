// Lint rules, including the folder boundaries that keep the pipeline legible:
//   grammar/  knows nothing of ONNX, the compiler or the runtime;
//   compiler/ never runs models, and only compiler/onnx/ touches protobuf (onnx-proto);
//   runtime/  reaches the compiler only through its public entry point, compiler/index.ts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const onnxRuntime = {
  group: ['onnxruntime-node', 'onnxruntime-*'],
  message: 'Only runtime/ runs models.',
};
const protobuf = {
  group: ['onnx-proto', 'protobufjs', 'protobufjs/*'],
  message: 'Only compiler/onnx/ serializes ONNX.',
};

const grammarEntry = {
  group: ['**/grammar/*', '!**/grammar/index.js'],
  message: 'Use grammar/index.ts.',
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'runs/**',
      'out/**',
      '.scratch/**',
      'editors/vscode/out/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['grammar/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            onnxRuntime,
            protobuf,
            { group: ['**/compiler/**', '**/runtime/**'], message: 'grammar/ stands alone.' },
          ],
        },
      ],
    },
  },
  {
    files: ['compiler/**/*.ts'],
    ignores: ['compiler/onnx/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            onnxRuntime,
            protobuf,
            { group: ['**/runtime/**'], message: 'The compiler does not depend on the runtime.' },
            grammarEntry,
          ],
        },
      ],
    },
  },
  {
    // The vocabulary is what every stage shares, so it depends on no stage: only on the IR's
    // types, the grammar's entry point and itself.
    files: ['compiler/vocabulary/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            onnxRuntime,
            protobuf,
            {
              regex: '^\\.\\./(?!ir/(graph|builder)\\.js$|\\.\\./grammar/index\\.js$)',
              message: 'compiler/vocabulary/ imports only compiler/ir types and the grammar entry.',
            },
            { group: ['**/runtime/**'], message: 'The compiler does not depend on the runtime.' },
            grammarEntry,
          ],
        },
      ],
    },
  },
  {
    files: ['compiler/onnx/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [onnxRuntime, { group: ['**/runtime/**'], message: 'No runtime here.' }] },
      ],
    },
  },
  {
    files: ['runtime/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            protobuf,
            {
              group: ['**/compiler/*', '!**/compiler/index.js'],
              message: 'Use the compiler through compiler/index.ts.',
            },
            { group: ['**/compiler/*/**'], message: 'Use the compiler through compiler/index.ts.' },
            grammarEntry,
          ],
        },
      ],
    },
  },
);
