import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { badRequest } from '../schema/errors.ts';

/**
 * The GraphQL parameters of a query string (GET) or a form body, as Yoga reads them, except that
 * `variables` or `extensions` that are not JSON answer 400 naming the parameter (Yoga's own
 * reader lets JSON.parse's SyntaxError through, which it masks as a 500).
 */
export function paramsOfSearch(search: URLSearchParams): GraphQLParams {
  return {
    query: search.get('query') || undefined,
    operationName: search.get('operationName') || undefined,
    variables: jsonParam(search, 'variables'),
    extensions: jsonParam(search, 'extensions'),
  };
}

function jsonParam(search: URLSearchParams, name: 'variables' | 'extensions') {
  const raw = search.get(name);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw badRequest(name, 'must be a JSON object.');
  }
}

/**
 * Yoga reads GET query strings and form bodies with `paramsOfSearch`. Plugins run after Yoga's
 * own request parsers, so the parser set here is the one used.
 */
export function useRequestParams(): Plugin {
  return {
    onRequestParse({ request, url, setRequestParser }) {
      if (request.method === 'GET') {
        setRequestParser(() => paramsOfSearch(url.searchParams));
      } else if (request.method === 'POST' && isFormBody(request.headers.get('content-type'))) {
        setRequestParser(async (req) => paramsOfSearch(new URLSearchParams(await req.text())));
      }
    },
  };
}

/** The content-type test of Yoga's form parser: the first type given, parameters allowed. */
function isFormBody(contentType: string | null): boolean {
  const type = contentType?.split(',')[0];
  return type === 'application/x-www-form-urlencoded' || !!type?.startsWith('application/x-www-form-urlencoded;');
}
