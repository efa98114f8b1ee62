import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ensureClusterBinary } from './binary.ts';
import { ClusterError } from './errors.ts';
import { clusterModuleDir } from './paths.ts';

describe('ensureClusterBinary', () => {
  const dirs: string[] = [];
  after(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  const scratch = async () => {
    const d = await mkdtemp(join(tmpdir(), 'eddy-bin-test-'));
    dirs.push(d);
    return d;
  };

  it('fails with GoMissing when there is no go command', async () => {
    const home = await scratch();
    await assert.rejects(
      ensureClusterBinary({ moduleDir: clusterModuleDir, home, goBinary: join(home, 'no-such-go') }),
      (err: unknown) => err instanceof ClusterError && err.reason === 'GoMissing' && /install Go 1\.26/.test(err.message),
    );
  });

  it('fails with GoTooOld for a Go older than 1.26', async () => {
    const home = await scratch();
    const fakeGo = join(home, 'go');
    await writeFile(fakeGo, '#!/bin/sh\necho go1.22.5\n');
    await chmod(fakeGo, 0o755);
    await assert.rejects(
      ensureClusterBinary({ moduleDir: clusterModuleDir, home, goBinary: fakeGo }),
      (err: unknown) => err instanceof ClusterError && err.reason === 'GoTooOld' && err.message.includes('go1.22.5'),
    );
  });

  it('fails with BuildFailed and a log path when go build fails', async () => {
    const home = await scratch();
    const fakeGo = join(home, 'go');
    await writeFile(fakeGo, '#!/bin/sh\nif [ "$1" = env ]; then echo go1.26.8; exit 0; fi\necho "compile error" >&2\nexit 1\n');
    await chmod(fakeGo, 0o755);
    await assert.rejects(
      ensureClusterBinary({ moduleDir: clusterModuleDir, home, goBinary: fakeGo }),
      (err: unknown) => err instanceof ClusterError && err.reason === 'BuildFailed' && err.logPath?.startsWith(join(home, 'logs')) === true,
    );
  });
});
