// Which CLI module to load: the JavaScript in lib/ when it was compiled from exactly the
// TypeScript now in src/, else the TypeScript itself (Node 24 strips the types). Loading
// Node's TypeScript stripper costs each process ~20 MiB (an `eddy run` at N = 100: 146 vs
// 166 MiB peak), so long-running controllers run the compiled form. Plain JS: it runs before
// any TypeScript can.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const repo = join(import.meta.dirname, '..');
export const SRC = join(repo, 'src');
export const LIB = join(repo, 'lib');
const STAMP_FILE = '.source-sha256';
export const STAMP = join(LIB, STAMP_FILE);

/** The modules lib/ is compiled from: src/**\/*.ts without tests and test helpers. */
export function sourceFiles(dir = SRC) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'testing') out.push(...sourceFiles(path));
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
      out.push(path);
    }
  }
  return out.sort();
}

/** One hash over every source module's path and content. */
export function sourceDigest(src = SRC) {
  const h = createHash('sha256');
  for (const file of sourceFiles(src)) h.update(relative(src, file)).update('\0').update(readFileSync(file)).update('\0');
  return h.digest('hex');
}

/** The CLI's main module to import. */
export function cliEntry(src = SRC, lib = LIB) {
  let stamp = '';
  try {
    stamp = readFileSync(join(lib, STAMP_FILE), 'utf8').trim();
  } catch {
    // never compiled
  }
  return stamp && stamp === sourceDigest(src) ? join(lib, 'cli', 'main.js') : join(src, 'cli', 'main.ts');
}
