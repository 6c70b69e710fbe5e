import type { TestServer } from './server.ts';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; field?: string } }[];
}

/** Sends one GraphQL operation over HTTP POST, as any client would. */
// biome-ignore lint/suspicious/noExplicitAny: a response's shape is the query's; the assertions check it.
export async function gql<T = Record<string, any>>(
  server: TestServer,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
  return { status: response.status, ...body };
}

/** The codes of a response's errors, for short assertions. */
export function codes(response: GraphQLResponse): (string | undefined)[] {
  return (response.errors ?? []).map((error) => error.extensions?.code);
}

export const createNotification = /* GraphQL */ `
  mutation Create($input: CreateNotificationInput!) {
    createNotification(input: $input) { id title body kind url data read readAt createdAt recipientId }
  }
`;

/** Creates a notification through the API and returns it; fails the test on any error. */
export async function notify(
  server: TestServer,
  headers: Record<string, string>,
  input: Record<string, unknown>,
): Promise<{ id: string; title: string; [field: string]: unknown }> {
  const result = await gql<{ createNotification: { id: string; title: string } }>(
    server,
    createNotification,
    { input },
    headers,
  );
  if (result.errors || !result.data) throw new Error(`createNotification failed: ${JSON.stringify(result.errors)}`);
  return result.data.createNotification;
}
