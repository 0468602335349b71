/**
 * The shape docs/architecture.md promises, read from the sources: no loop of value imports in
 * lib/ (type-only imports vanish at build and may point anywhere), every file small enough to read
 * (400 lines; the public face 500), and every file opening with what it owns.
 */
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const LIB = fileURLToPath(new URL('../lib/', import.meta.url));

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The files `file` imports for their values: not `import type`, not `{ type A, type B }`. */
function valueImports(file: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/^(?:import|export)\s+([^;]*?)\s+from\s+'(\.[^']+)';/gms)) {
    const [, clause, target] = match as unknown as [string, string, string];
    if (/^type\s/.test(clause)) continue;
    const names = /\{([^}]*)\}/.exec(clause);
    const bare = clause.replace(/\{[^}]*\}/, '').replace(/[\s,]/g, '');
    if (names !== null && bare === '' && names[1]!.split(',').every((name) => /^\s*(type\s|$)/.test(name))) continue;
    found.push(path.resolve(path.dirname(file), target.replace(/\.js$/, '.ts')));
  }
  return found;
}

const files = sources(LIB);
const relative = (file: string): string => path.relative(LIB, file);

describe('lib/ as docs/architecture.md draws it', () => {
  test('value imports form no loop', () => {
    const graph = new Map(files.map((file) => [file, valueImports(file, fs.readFileSync(file, 'utf8'))]));
    const loops: string[] = [];
    const done = new Set<string>();
    const trail: string[] = [];
    const visit = (file: string): void => {
      const at = trail.indexOf(file);
      if (at >= 0) {
        loops.push([...trail.slice(at), file].map(relative).join(' -> '));
        return;
      }
      if (done.has(file)) return;
      trail.push(file);
      for (const target of graph.get(file) ?? []) visit(target);
      trail.pop();
      done.add(file);
    };
    for (const file of files) visit(file);
    expect(loops).toEqual([]);
    // The parser sees the imports it should: the machine imports its parts for their values.
    expect(graph.get(path.join(LIB, 'task/task-machine.ts'))).toContain(path.join(LIB, 'task/reading.ts'));
  });

  test('every file is small enough to read, and says what it owns', () => {
    const tooLong = files
      .map((file) => ({ file: relative(file), lines: fs.readFileSync(file, 'utf8').split('\n').length - 1 }))
      .filter(({ file, lines }) => lines > (file === path.join('task', 'stream-task.ts') ? 500 : 400));
    expect(tooLong).toEqual([]);
    const unexplained = files.filter((file) => !/^(#!.*\n)?\/\*\*/.test(fs.readFileSync(file, 'utf8'))).map(relative);
    expect(unexplained).toEqual([]);
  });

  test('importing the package loads no optional dependency: multicast-dns only when a .local service is resolved', () => {
    // A fresh process, as a user's: the built package imported, then the CommonJS cache read.
    const script = `import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
      await import(${JSON.stringify(new URL('../dist/sockets.js', import.meta.url).href)});
      console.log(Object.keys(require.cache).filter((key) => key.includes('multicast-dns')).length);`;
    const loaded = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(loaded.trim()).toBe('0');
  });
});
