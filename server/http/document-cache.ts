import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Yoga's parse and validation caches, made cheaper for the path every request takes. Yoga's own
 * (`parserAndValidationCache: true`) keys each validation by the names of every validation rule,
 * joined anew per request (armor adds five to graphql's thirty), and its lru-cache entries carry a
 * TTL whose check reads the clock and arms a timer on every get. Here: parsed documents by query
 * text in a bounded Map, and validation results by schema and document, the rule set being the
 * same for every request of an app (graphql's rules and armor's, configured once).
 */
export function documentCaches(max = 1_024) {
  return {
    /** For Yoga's `parserAndValidationCache` option, with `validationCache: false` and `useValidationCache()`. */
    parserAndValidationCache: {
      documentCache: boundedCache<DocumentNode>(max),
      errorCache: boundedCache<Error>(max),
      validationCache: false,
    },
    useValidationCache,
  };
}

/** A Map that forgets its oldest entry past `max`: the get/set Yoga's caches need. */
export function boundedCache<V>(max: number) {
  const entries = new Map<string, V>();
  return {
    get: (key: string) => entries.get(key),
    set(key: string, value: V) {
      if (entries.size >= max && !entries.has(key)) entries.delete(entries.keys().next().value as string);
      entries.set(key, value);
      return this;
    },
  };
}

/**
 * Validation results by schema and document (documents come from the cache above, so one query
 * text is one document). The errors are cached too: the same document fails the same way.
 */
function useValidationCache(): Plugin {
  const bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, readonly Error[]>>();
  return {
    onValidate({ params: { schema, documentAST }, setResult }) {
      let byDocument = bySchema.get(schema);
      if (!byDocument) {
        byDocument = new WeakMap();
        bySchema.set(schema, byDocument);
      }
      const cached = byDocument.get(documentAST);
      if (cached) {
        setResult(cached);
        return;
      }
      const results = byDocument;
      return ({ result }) => {
        results.set(documentAST, result);
      };
    },
  };
}
