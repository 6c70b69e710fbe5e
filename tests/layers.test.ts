import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// How server/ is put together, read from its sources: layers point one way (http → schema →
// realtime), and no state lives at module level, where every app in the process would share it.

const server = path.join(import.meta.dirname, '..', 'server');

/** Every TypeScript module under `dir` (relative to server/), generated code left out. */
function modulesIn(dir = ''): string[] {
  return readdirSync(path.join(server, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : modulesIn(relative);
    return entry.name.endsWith('.ts') ? [relative] : [];
  });
}

function importsOf(module: string): string[] {
  const source = readFileSync(path.join(server, module), 'utf8');
  return [...source.matchAll(/^import\s[^;]*?from\s+'([^']+)';/gm)].map((match) => match[1] as string);
}

describe('server/ layers', () => {
  it('realtime imports neither graphql nor the schema or HTTP layers above it', () => {
    const offending = modulesIn('realtime').flatMap((module) =>
      importsOf(module)
        .filter((from) => from === 'graphql' || /^\.\.\/(schema|http)\//.test(from))
        .map((from) => `${module} imports ${from}`),
    );
    expect(offending).toEqual([]);
  });

  it('the pub/sub and the stream registry do not import each other', () => {
    expect(importsOf('realtime/pubsub.ts')).not.toContain('./streams.ts');
    expect(importsOf('realtime/streams.ts')).not.toContain('./pubsub.ts');
  });

  it('the store imports neither graphql nor the schema or HTTP layers, and realtime reaches it only through its interfaces', () => {
    const fromStore = modulesIn('store').flatMap((module) =>
      importsOf(module)
        .filter((from) => from === 'graphql' || /^\.\.\/(schema|http)\//.test(from))
        .map((from) => `${module} imports ${from}`),
    );
    const intoStore = modulesIn('realtime').flatMap((module) =>
      importsOf(module)
        .filter((from) => from.startsWith('../store/'))
        .map((from) => `${module} imports ${from}`),
    );
    expect([...fromStore, ...intoStore]).toEqual([]);
  });

  it('no Map, WeakMap or timer lives at module level (everything hangs off an app)', () => {
    const offending = modulesIn().flatMap((module) =>
      readFileSync(path.join(server, module), 'utf8')
        .split('\n')
        .filter((line) => /^(export )?(const|let|var) [^=]+= *(new (Weak)?Map\b|set(Interval|Timeout)\()/.test(line))
        .map((line) => `${module}: ${line}`),
    );
    expect(offending).toEqual([]);
  });

  it("the web client does not decode the server's cursors (Pothos' `GPC:` format)", () => {
    const web = path.join(import.meta.dirname, '..', 'web', 'src');
    const sources = readdirSync(web, { recursive: true, encoding: 'utf8' }).filter(
      (file) => /\.tsx?$/.test(file) && !file.startsWith(`gql${path.sep}`),
    );
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((file) => readFileSync(path.join(web, file), 'utf8').includes('GPC:'))).toEqual([]);
  });
});
