// GraphQL Code Generator: `npm run generate` prints schema.graphql from the Pothos schema
// (sorted, so diffs stay small). The web client's typed documents join here once web/ has them.
import type { CodegenConfig } from '@graphql-codegen/cli';
import { printSortedSchema } from './server/schema/index.ts';

const config: CodegenConfig = {
  schema: printSortedSchema(),
  generates: {
    'schema.graphql': { plugins: ['schema-ast'], config: { includeDirectives: false, sort: true } },
  },
  silent: true,
};

export default config;
