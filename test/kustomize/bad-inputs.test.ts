// Hostile and broken inputs: each gives a clear condition and event, applies nothing half-way
// where Flux would not, prunes nothing that should stay, and leaves the controller serving
// every other Kustomization.
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commitFiles } from '../tools/git-repo.ts';
import { eventually } from '../tools/eventually.ts';
import { cond, configMap, exists as objectExists, failedWith, GITREPO, readyAt, startFlux, type Flux } from './harness.ts';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

const BOMB = `apiVersion: v1
kind: ConfigMap
metadata:
  name: bomb
data:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`;

describe('kustomize controller: bad inputs', () => {
  let f: Flux;
  before(async () => {
    f = await startFlux('ks-bad');
  });
  after(async () => f.stop());

  const exists = (name: string, ns: string) => objectExists(f.client, CM, name, ns);

  /** One repo per case: `good` first (Ready), then `bad` committed on top; the good objects must stay. */
  async function badCommit(name: string, bad: Record<string, string | null>, reason: string, message: RegExp, spec: Record<string, unknown> = {}) {
    const target = await f.namespace(`ks-bad-${name}`);
    const url = await f.repo(name);
    const sha1 = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: { 'app/good.yaml': configMap('good', { v: '1' }) } });
    await f.gitRepository(name, url);
    await f.kustomization(name, { sourceRef: { kind: 'GitRepository', name }, path: './app', targetNamespace: target, retryInterval: '5s', ...spec });
    await f.waitKs(name, 'Ready', readyAt(`main@sha1:${sha1}`));
    const sha2 = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: bad });
    await f.requestReconcile(name, GITREPO);
    const ks = await f.waitKs(name, reason, (k) => failedWith(reason)(k) && k.status?.lastAttemptedRevision === `main@sha1:${sha2}`, 90_000);
    assert.match(cond(ks, 'Ready')?.message ?? '', message);
    assert.equal(ks.status?.lastAppliedRevision, `main@sha1:${sha1}`, 'the last good revision stays applied');
    assert.equal(await exists('good', target), true, 'nothing pruned');
    await eventually(`${name}: a Warning event ${reason}`, async () => (await f.events(name)).some((e) => e.type === 'Warning' && e.reason === reason), 30_000);
    return { target, ks };
  }

  it('a kustomization reaching outside the artifact root', async () => {
    await badCommit('escape', { 'app/kustomization.yaml': 'resources:\n- good.yaml\n- ../../../etc/passwd\n' }, 'BuildFailed', /kustomize build failed/);
  });

  it('a reference loop between two kustomizations', async () => {
    await badCommit('loop', { 'app/kustomization.yaml': 'resources:\n- good.yaml\n- ../other\n', 'other/kustomization.yaml': 'resources:\n- ../app\n' }, 'BuildFailed', /cycle|loop|already|ancestor/i);
  });

  it('a YAML bomb', async () => {
    const { target } = await badCommit('bomb', { 'app/bomb.yaml': BOMB }, 'BuildFailed', /build failed|memory|alias|limit/i);
    assert.equal(await exists('bomb', target), false);
  });

  it('invalid YAML', async () => {
    await badCommit('invalid', { 'app/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [unclosed\n' }, 'BuildFailed', /YAML|yaml|decode/);
  });

  it('a kind without its CRD applies nothing of the batch', async () => {
    const { target } = await badCommit('nocrd', {
      'app/new.yaml': configMap('new-cm', { v: '1' }),
      'app/widget.yaml': 'apiVersion: example.invalid/v1\nkind: Gadget\nmetadata:\n  name: g\n',
    }, 'ReconciliationFailed', /Gadget/);
    assert.equal(await exists('new-cm', target), false, 'no half-applied batch');
  });

  it('an immutable field change fails without force and is recreated with it', async () => {
    const job = (image: string) => `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: once\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: ${image}\n`;
    const target = await f.namespace('ks-bad-immutable');
    const url = await f.repo('immutable');
    const sha1 = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: { 'job.yaml': job('busybox:1') } });
    await f.gitRepository('immutable', url);
    await f.kustomization('immutable', { sourceRef: { kind: 'GitRepository', name: 'immutable' }, targetNamespace: target, retryInterval: '5s' });
    await f.waitKs('immutable', 'Ready', readyAt(`main@sha1:${sha1}`));
    const sha2 = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: { 'job.yaml': job('busybox:2') } });
    await f.requestReconcile('immutable', GITREPO);
    const ks = await f.waitKs('immutable', 'immutable error', (k) => failedWith('ReconciliationFailed')(k) && k.status?.lastAttemptedRevision === `main@sha1:${sha2}`);
    assert.match(cond(ks, 'Ready')?.message ?? '', /immutable|Job\/.*once/i);
    await f.kustomization('immutable', { sourceRef: { kind: 'GitRepository', name: 'immutable' }, targetNamespace: target, retryInterval: '5s', force: true });
    await f.waitKs('immutable', 'recreated with force', readyAt(`main@sha1:${sha2}`));
    const recreated = await f.client.get({ apiVersion: 'batch/v1', kind: 'Job' }, 'once', target);
    assert.match(JSON.stringify(recreated['spec']), /busybox:2/);
  });

  it('an emptied path prunes nothing', async () => {
    await badCommit('emptied', { 'app/good.yaml': null, 'app/.keep': '' }, 'BuildFailed', /refusing to prune/);
  });

  it('a missing source artifact (404) keeps the last applied state and retries', async () => {
    const target = await f.namespace('ks-bad-404');
    const url = await f.repo('gone');
    const sha = await commitFiles(url, { branch: 'main', config: f.git.gitConfig, files: { 'cm.yaml': configMap('stay', { v: '1' }) } });
    await f.gitRepository('gone', url);
    await f.kustomization('gone', { sourceRef: { kind: 'GitRepository', name: 'gone' }, targetNamespace: target });
    await f.waitKs('gone', 'Ready', readyAt(`main@sha1:${sha}`));
    const dir = join(f.storageDir, 'gitrepository', f.ns, 'gone');
    for (const file of await readdir(dir)) await rm(join(dir, file), { force: true });
    await f.requestReconcile('gone');
    const ks = await f.waitKs('gone', 'ArtifactFailed', failedWith('ArtifactFailed'));
    assert.match(cond(ks, 'Ready')?.message ?? '', /not found/);
    assert.equal(await exists('stay', target), true);
  });
});
