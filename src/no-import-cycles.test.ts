/**
 * No import circles anywhere under src/: a module below handle-request.ts that imports it (or any
 * loop of imports) makes the load order matter and the layers impossible to read bottom-up. Type-only
 * imports count too: they are erased at run time, but the dependency they state is still a circle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = dirname(new URL(import.meta.url).pathname);

/**
 * The relative specifiers of a module's static `import ... from`, `import '...'` and
 * `export ... from` statements (dynamic `import()` is left out: it is how a cycle is broken on purpose).
 */
export function relativeImports(source: string): string[] {
  const out: string[] = [];
  // `from '...'` ends every import/export-from statement, however many lines its braces span; a bare
  // `import '...'` has no `from`. Comments are stripped first so an example in a comment is not an edge.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  for (const m of code.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)) {
    const spec = m[1] ?? m[2]!;
    if (spec.startsWith('.')) out.push(spec);
  }
  return out;
}

/** The first cycle found in `graph` (node -> the nodes it imports), as a path that ends where it starts; null if none. */
export function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    const s = state.get(node);
    if (s === 'done') return null;
    if (s === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of [...graph.keys()].sort()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every .ts file under src/ (tests included: a test importing a module is an edge like any other) and its relative imports. */
export function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(root)) {
    const deps = relativeImports(readFileSync(file, 'utf8')).map((spec) => relative(root, resolve(dirname(file), spec)));
    graph.set(relative(root, file), deps);
  }
  return graph;
}

test('the cycle finder finds a cycle, names it, and passes a graph without one', () => {
  const g = (edges: Record<string, string[]>) => new Map(Object.entries(edges));
  assert.equal(findCycle(g({ a: ['b'], b: ['c'], c: [] })), null);
  assert.equal(findCycle(g({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [] })), null, 'a diamond is not a cycle');
  assert.deepEqual(findCycle(g({ top: ['mid'], mid: ['low'], low: ['top'] })), ['low', 'top', 'mid', 'low']);
  assert.deepEqual(findCycle(g({ a: ['a'] })), ['a', 'a'], 'a module importing itself');
  assert.deepEqual(findCycle(g({ a: ['b'], b: ['c'], c: ['b'] })), ['b', 'c', 'b'], 'the cycle only, not the path into it');
});

test('relativeImports reads import, import type, export from and bare imports over several lines; not packages, dynamic imports or comments', () => {
  const source = [
    "import { a } from './a.ts';",
    "import type { B } from '../b.ts';",
    'import {',
    '  c,',
    "  type C,",
    "} from './c.ts';",
    "export { d } from './d.ts';",
    "export type { E } from './e.ts';",
    "export * from './f.ts';",
    "import './g.ts';",
    "import { request } from 'undici';",
    "import { readFileSync } from 'node:fs';",
    "const lazy = await import('./lazy.ts');",
    "// import { x } from './commented.ts';",
    "/* import { y } from './block-commented.ts'; */",
  ].join('\n');
  assert.deepEqual(relativeImports(source), ['./a.ts', '../b.ts', './c.ts', './d.ts', './e.ts', './f.ts', './g.ts']);
});

test('no import cycles under src/', () => {
  const graph = importGraph(SRC);
  assert.ok(graph.size > 100 && graph.get('handle-request.ts')!.length > 10, 'the graph is read (files and their imports)');
  const cycle = findCycle(graph);
  assert.equal(cycle, null, `import cycle: ${cycle?.join(' -> ')}`);
});

test('only the server, which calls it, imports handle-request.ts: the stages below it get what they need from deps.ts', () => {
  const importers = [...importGraph(SRC)].filter(([, deps]) => deps.includes('handle-request.ts')).map(([file]) => file);
  assert.deepEqual(importers, ['server/http-server.ts']);
});

test('production code imports nothing from simulator/: the simulator stands in for providers in tests, it is not part of the proxy', () => {
  const graph = importGraph(SRC);
  const production = (f: string) => !f.endsWith('.test.ts') && !f.startsWith('simulator/') && !f.startsWith('testing/');
  // Everything the proxy loads, followed transitively from each production module.
  const reached = new Set<string>();
  const visit = (f: string): void => {
    if (reached.has(f)) return;
    reached.add(f);
    for (const d of graph.get(f) ?? []) visit(d);
  };
  for (const f of graph.keys()) if (production(f)) visit(f);
  const fromSimulator = [...reached].filter((f) => f.startsWith('simulator/'));
  assert.ok(reached.has('handle-request.ts') && reached.size > 100);
  assert.deepEqual(fromSimulator, [], `production modules reach ${fromSimulator.join(', ')}`);
});
