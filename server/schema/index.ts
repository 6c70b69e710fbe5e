// server/schema owns the GraphQL API: the Pothos schema (builder.ts and one module per type),
// the one context builder (context.ts), GraphQL error codes, including the mapping of the store's
// and the realtime core's own errors (errors.ts), and input validation (validation.ts). It never
// imports http: transports reach it only through the context.
import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.ts';
import './scalars.ts';
import './user.ts';
import './notification.ts';
import './notification-events.ts';
import './preferences.ts';
import './broadcast.ts';
import './receipts.ts';
import './push.ts';

export const schema = builder.toSchema();

/** The schema as committed in schema.graphql: sorted, so diffs stay small. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
