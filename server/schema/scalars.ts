import { GraphQLError, Kind, type ValueNode } from 'graphql';
import { builder } from './builder.ts';
import { limits, tooDeep } from './validation.ts';

builder.scalarType('DateTime', {
  description: 'A point in time, as an ISO 8601 string in UTC.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value).toISOString()),
  parseValue: (value) => {
    const date = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO 8601 string.');
    return date;
  },
});

builder.scalarType('JSON', {
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => parseLiteral(ast, variables, 0),
});

/**
 * A JSON literal written in the document. Its depth is bounded here, where the recursion is:
 * `data` (the only JSON input) takes at most `limits.dataDepth` levels, and deeper answers as
 * validNotification answers a deep variable.
 */
function parseLiteral(
  ast: ValueNode,
  variables: { readonly [name: string]: unknown } | null | undefined,
  depth: number,
): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      if (depth >= limits.dataDepth) throw tooDeep('data');
      return ast.values.map((item) => parseLiteral(item, variables, depth + 1));
    case Kind.OBJECT:
      if (depth >= limits.dataDepth) throw tooDeep('data');
      return Object.fromEntries(
        ast.fields.map((field) => [field.name.value, parseLiteral(field.value, variables, depth + 1)]),
      );
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      throw new GraphQLError('Not a JSON value.');
  }
}
