import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for the tests: `npm run codegen` after changing the schema or an operation.
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['tests/support/operations/**/*.graphql'],
  generates: {
    'tests/support/generated/': {
      preset: 'client',
      config: {
        useTypeImports: true,
        emitLegacyCommonJSImports: false,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
      },
      presetConfig: { fragmentMasking: false },
    },
  },
  ignoreNoDocuments: true,
};

export default config;
