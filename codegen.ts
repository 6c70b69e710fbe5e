// GraphQL Code Generator: `npm run generate` prints schema.graphql from the Pothos schema (sorted,
// so diffs stay small) and the web client's typed documents into web/src/gql/ (client preset).
import type { CodegenConfig } from '@graphql-codegen/cli';
import { printSortedSchema } from './server/schema/index.ts';

const schema = printSortedSchema();

const config: CodegenConfig = {
  schema,
  documents: ['web/src/**/*.{ts,tsx}', '!web/src/gql/**'],
  generates: {
    'schema.graphql': { plugins: ['schema-ast'], config: { includeDirectives: false, sort: true } },
    'web/src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', JSON: 'unknown', ID: 'string' },
      },
    },
  },
  silent: process.env.CODEGEN_VERBOSE !== '1',
};

export default config;
