// Shared read-only test data (podinfo chart and kustomize overlay); copy before modifying.
// It lives in the shared/ folder beside the repository (as CI lays it out); EDDY_TESTDATA
// overrides.
import { existsSync } from 'node:fs';
import path from 'node:path';

const besideRepo = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'testdata');

export const TESTDATA_DIR = process.env['EDDY_TESTDATA'] ?? (existsSync(besideRepo) ? besideRepo : '/work/shared/testdata');

export function testdataPath(...segments: string[]): string {
  return path.join(TESTDATA_DIR, ...segments);
}
