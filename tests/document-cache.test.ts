import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { documentCaches } from '../server/http/document-cache.ts';
import { schema } from '../server/schema/index.ts';

// server/http/document-cache.ts replaces Yoga's default parse and validation caches (a profile
// showed their per-request costs). The contract: for the same requests, in the same order, a Yoga
// with these caches answers exactly as a Yoga with its own, first time and every time after.

function yogaWith(caches: 'ours' | 'yoga', bound: number) {
  const ours = documentCaches(bound);
  const armor = EnvelopArmorPlugin({
    maxDepth: { n: 2 },
    maxAliases: { n: 2 },
    maxTokens: { n: 200 },
    costLimit: { enabled: false },
    maxDirectives: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  });
  return createYoga({
    schema,
    logging: false,
    maskedErrors: true,
    ...(caches === 'ours'
      ? { parserAndValidationCache: ours.parserAndValidationCache, plugins: [armor, ours.useValidationCache()] }
      : { plugins: [armor] }),
  });
}

const documents = {
  valid: '{ __typename }',
  'valid with a variable': 'query Q($first: Int) { notifications(first: $first) { totalCount: __typename } }',
  'syntax error': '{ __typename ',
  'unknown field': '{ nope }',
  'unknown argument': '{ notifications(nope: 1) { __typename } }',
  'too deep': '{ notifications { edges { node { id } } } }',
  'too many aliases': '{ a: unreadNotificationCount b: unreadNotificationCount c: unreadNotificationCount }',
  'too many tokens': `{ ${'__typename '.repeat(300)}}`,
  'not an operation': 'fragment F on Query { __typename }',
};

async function answers(caches: 'ours' | 'yoga', bound = 1_024): Promise<string[]> {
  const yoga = yogaWith(caches, bound);
  const seen: string[] = [];
  // Every document three times, and then all of them again after the cache has more than it keeps.
  const order = [...Object.values(documents), ...Object.values(documents), ...Object.values(documents)];
  for (const query of [...order, ...order.reverse()]) {
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query, variables: { first: 1 } }),
    });
    seen.push(`${response.status} ${await response.text()}`);
  }
  await yoga.dispose();
  return seen;
}

describe('the document cache (server/http/document-cache.ts), held to Yoga’s own', () => {
  it('answers every valid and invalid document exactly as Yoga’s default caches do, every time', async () => {
    const [ours, yogas] = await Promise.all([answers('ours'), answers('yoga')]);
    expect(ours).toEqual(yogas);
    // And with a cache too small for them all: documents forgotten and parsed again answer the same.
    expect(await answers('ours', 4)).toEqual(yogas);
    // The requests did reach every kind of answer: the comparison is not between empty lists.
    expect(new Set(yogas.map((answer) => answer.slice(0, 3)))).toEqual(new Set(['200', '400']));
    expect(yogas.some((answer) => answer.includes('Syntax Error'))).toBe(true);
    expect(yogas.some((answer) => answer.includes('Cannot query field'))).toBe(true);
    for (const refused of ['Query depth limit', 'Aliases limit', 'Token limit']) {
      expect(yogas.some((answer) => answer.includes(refused))).toBe(true);
    }
  });

  it('forgets its oldest document past its bound, and keeps the rest', () => {
    const cache = documentCaches(2).parserAndValidationCache.documentCache;
    const doc = (name: string) => ({ kind: 'Document', definitions: [], name }) as never;
    cache.set('a', doc('a'));
    cache.set('b', doc('b'));
    cache.set('b', doc('b again'));
    cache.set('c', doc('c'));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toEqual(doc('b again'));
    expect(cache.get('c')).toEqual(doc('c'));
  });
});
