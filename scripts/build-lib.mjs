// Compiles src/ to lib/ (tsc, tsconfig.build.json) and stamps it with the digest of the sources
// it came from; bin/entry.mjs loads lib/ only while that digest still matches. Quiet and quick
// when lib/ is current.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIB, STAMP, sourceDigest } from '../bin/entry.mjs';

const digest = sourceDigest();
let current = '';
try {
  current = readFileSync(STAMP, 'utf8').trim();
} catch {
  // not built yet
}
if (current !== digest) {
  rmSync(LIB, { recursive: true, force: true });
  const tsc = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsc');
  // Type errors are `npm run check`'s to report; the emit is what matters here.
  try {
    execFileSync(tsc, ['-p', 'tsconfig.build.json', '--noCheck'], { cwd: join(import.meta.dirname, '..'), stdio: 'inherit' });
  } catch {
    process.stderr.write('build-lib: tsc failed; eddy runs from the TypeScript sources\n');
    process.exit(0);
  }
  writeFileSync(STAMP, `${digest}\n`);
}
