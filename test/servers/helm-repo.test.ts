import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { CommandError, run } from '../tools/exec.ts';
import { httpRequest } from '../tools/http-client.ts';
import { k8sBinaries } from '../tools/k8s-binaries.ts';
import { testdataPath } from '../tools/testdata.ts';
import { makeTempDir } from '../tools/tmp.ts';
import type { TempDir } from '../tools/tmp.ts';
import { startHelmRepo } from './helm-repo.ts';

const CHART = testdataPath('podinfo', 'chart-6.5.3');
let home: TempDir;
let helmBin: string;

before(async () => {
  home = await makeTempDir('eddy-helm-home-');
  helmBin = (await k8sBinaries()).helm;
});
after(() => home.remove());

/** helm with its config, cache and data in a temp dir. */
async function helm(...args: string[]): Promise<string> {
  const env = {
    HELM_CONFIG_HOME: path.join(home.path, 'config'),
    HELM_CACHE_HOME: path.join(home.path, 'cache'),
    HELM_DATA_HOME: path.join(home.path, 'data'),
  };
  return (await run(helmBin, args, { env })).stdout;
}

void describe('Helm chart repository', () => {
  void test('plain HTTP: helm repo add, pull and show chart', async (t) => {
    const repo = await startHelmRepo();
    t.after(() => repo.stop());
    const chart = await repo.addChart(CHART);
    await repo.addChart(CHART, { version: '6.6.0' });
    assert.equal(path.basename(chart.file), 'podinfo-6.5.3.tgz');

    const index = parse((await httpRequest(`${repo.url}/index.yaml`)).text()) as {
      entries: Record<string, { version: string; digest: string; urls: string[] }[]>;
    };
    assert.deepEqual(index.entries.podinfo?.map((e) => e.version), ['6.5.3', '6.6.0']);
    assert.equal(index.entries.podinfo?.[0]?.digest, chart.digest);

    await helm('repo', 'add', 'plain', repo.url);
    const shown = await helm('show', 'chart', 'plain/podinfo', '--version', '6.5.3');
    assert.match(shown, /^name: podinfo$/m);
    assert.match(shown, /^version: 6\.5\.3$/m);
    const out = path.join(home.path, 'pulled');
    await helm('pull', 'plain/podinfo', '--version', '6.6.0', '--untar', '-d', out);
    assert.match(await fs.readFile(path.join(out, 'podinfo', 'Chart.yaml'), 'utf8'), /version: 6\.6\.0/);
    assert.ok((await fs.stat(path.join(out, 'podinfo', 'templates', 'deployment.yaml'))).isFile());
    // Same rendering as from the source directory.
    const rendered = await helm('template', 'demo', path.join(out, 'podinfo'));
    assert.match(rendered, /kind: Deployment/);
  });

  void test('HTTPS with basic auth: a chart URL needs the CA and credentials', async (t) => {
    const repo = await startHelmRepo({ tls: true, auth: { username: 'helm', password: 'chart-pw' } });
    t.after(() => repo.stop());
    await repo.addChart(CHART);
    const url = `${repo.url}/podinfo-6.5.3.tgz`;
    const ca = repo.tls!.ca.certPath;
    const shown = await helm('show', 'chart', url, '--ca-file', ca, '--username', 'helm', '--password', 'chart-pw');
    assert.match(shown, /^name: podinfo$/m);
    await assert.rejects(helm('show', 'chart', url, '--ca-file', ca), (err: unknown) => {
      assert.ok(err instanceof CommandError);
      assert.match(err.stderr, /401|Unauthorized/i);
      return true;
    });
    await assert.rejects(helm('show', 'chart', url, '--username', 'helm', '--password', 'chart-pw'), /certificate/);
    await helm('repo', 'add', 'secure', repo.url, '--ca-file', ca, '--username', 'helm', '--password', 'chart-pw');
    assert.match(await helm('search', 'repo', 'secure/podinfo'), /secure\/podinfo\s+6\.5\.3/);
  });
});
