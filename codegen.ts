// GraphQL Code Generator: `npm run generate` prints schema.graphql from the Pothos schema (sorted,
// so diffs stay small), the web client's typed documents into web/src/gql/ (client preset), and the
// schema's introspection for graphcache (web/src/gql/introspection.ts).
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
    // The schema's types for graphcache (minified introspection): it then matches fragments on
    // interfaces by the schema's possible types, not by heuristic (with a warning each time).
    'web/src/gql/introspection.ts': { plugins: ['urql-introspection'], config: { useTypeImports: true } },
  },
  silent: process.env.CODEGEN_VERBOSE !== '1',
};

export default config;
