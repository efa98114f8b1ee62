// Shared read-only test data (podinfo chart and kustomize overlay); copy before modifying.
import path from 'node:path';

export const TESTDATA_DIR = process.env.EDDY_TESTDATA ?? '/work/shared/testdata';

export function testdataPath(...segments: string[]): string {
  return path.join(TESTDATA_DIR, ...segments);
}
