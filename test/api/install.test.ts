// `eddy install --crds`: the export is stable multi-document YAML of allCRDs(); the apply path
// server-side applies them as field manager eddy and returns once each is Established.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { allCRDs } from '../../src/api/crds.ts';
import { exportCRDs, runInstall } from '../../src/cli/install.ts';
import type { CliContext } from '../../src/cli/context.ts';
import { buildProgram } from '../../src/cli/main.ts';
import { kubectlJson, testCluster } from '../cluster/harness.ts';

const REPO = path.resolve(import.meta.dirname, '../..');

function capture(): CliContext & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { home: '', out: (l) => stdout.push(l), err: (l) => stderr.push(l), stdout, stderr };
}

function checkExport(yamlText: string): void {
  const docs = parseAllDocuments(yamlText).map((d) => d.toJS() as unknown);
  assert.deepEqual(docs, allCRDs(), 'the YAML is exactly allCRDs(), in order');
  assert.deepEqual(
    allCRDs().map((c) => c.metadata.name),
    ['buckets.source.toolkit.fluxcd.io', 'externalartifacts.source.toolkit.fluxcd.io', 'gitrepositories.source.toolkit.fluxcd.io', 'ocirepositories.source.toolkit.fluxcd.io', 'kustomizations.kustomize.toolkit.fluxcd.io'],
  );
}

void describe('eddy install --crds', () => {
  it('--export prints every CRD as stable multi-document YAML', async () => {
    const ctx = capture();
    await runInstall(ctx, { crds: true, export: true });
    assert.equal(ctx.stdout.length, 1);
    const text = ctx.stdout[0] ?? '';
    assert.ok(text.startsWith('---\napiVersion: apiextensions.k8s.io/v1\n'));
    checkExport(text);
    assert.equal(exportCRDs(), exportCRDs(), 'stable across calls');
  });

  it('refuses to run without --crds', async () => {
    await assert.rejects(runInstall(capture(), {}), /only --crds/);
  });

  it('bin/eddy.mjs install --crds --export (once registered in main.ts)', async (t) => {
    const registered = buildProgram(capture()).commands.some((c) => c.name() === 'install');
    if (!registered) {
      t.skip('install is not registered in src/cli/main.ts yet');
      return;
    }
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/eddy.mjs', 'install', '--crds', '--export'], { cwd: REPO });
    checkExport(stdout);
  });

  it('applies the CRDs server-side as field manager eddy and waits until Established', async () => {
    const ctx = capture();
    await runInstall(ctx, { crds: true, kubeconfig: testCluster().kubeconfig, timeout: '60s' });
    assert.equal(ctx.stderr.filter((l) => l.endsWith(' established')).length, allCRDs().length, ctx.stderr.join('\n'));
    for (const crd of allCRDs()) {
      const live = await kubectlJson<{
        metadata: { managedFields: { manager: string; operation: string }[] };
        status: { conditions: { type: string; status: string }[] };
      }>(['get', 'crd', crd.metadata.name ?? '', '--show-managed-fields']);
      assert.ok(live.status.conditions.some((c) => c.type === 'Established' && c.status === 'True'));
      assert.ok(live.metadata.managedFields.some((f) => f.manager === 'eddy' && f.operation === 'Apply'));
    }
    // A second install is a no-op that still succeeds.
    await runInstall(capture(), { crds: true, kubeconfig: testCluster().kubeconfig });
  });
});
