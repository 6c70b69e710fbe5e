import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.ts';
import './scalars.ts';
import './user.ts';
import './notification.ts';
import './notification-events.ts';

export const schema = builder.toSchema();

/** The schema as committed in schema.graphql: sorted, so diffs stay small. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
