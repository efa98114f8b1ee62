import assert from 'node:assert/strict';
import { thrownGitReason } from '../../../test/sources/git/helpers.ts';
import { test } from 'node:test';
import { parseLsRemote, resolveRef } from './refs.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const T = '7'.repeat(40);
const REFS = parseLsRemote(
  [
    `${A}\tHEAD`, `${A}\trefs/heads/main`, `${B}\trefs/heads/master`, `${C}\trefs/heads/feature/x`,
    `${A}\trefs/tags/v1.0.0`, `${T}\trefs/tags/v1.1.0`, `${B}\trefs/tags/v1.1.0^{}`, `${C}\trefs/tags/v2.0.0-rc.1`,
    `${C}\trefs/tags/not-a-version`, `${C}\trefs/pull/1/head`, 'garbage line', '',
  ].join('\n'),
);

const reason = thrownGitReason;

void test('revision strings as Flux writes them', () => {
  assert.equal(resolveRef(REFS, { branch: 'main' }).revision, `main@sha1:${A}`);
  assert.equal(resolveRef(REFS, { branch: 'feature/x' }).revision, `feature/x@sha1:${C}`);
  assert.equal(resolveRef(REFS, undefined).revision, `master@sha1:${B}`); // default branch
  assert.equal(resolveRef(REFS, { tag: 'v1.0.0' }).revision, `v1.0.0@sha1:${A}`);
  assert.equal(resolveRef(REFS, { name: 'refs/pull/1/head' }).revision, `refs/pull/1/head@sha1:${C}`);
  assert.equal(resolveRef(REFS, { commit: C }).revision, `sha1:${C}`);
  assert.equal(resolveRef(REFS, { branch: 'main', commit: C.toUpperCase() }).revision, `main@sha1:${C}`);
});

void test('annotated tags peel to their commit and keep the tag object', () => {
  const r = resolveRef(REFS, { tag: 'v1.1.0' });
  assert.deepEqual([r.commit, r.object, r.annotatedTag, r.tagName], [B, T, true, 'v1.1.0']);
  const byName = resolveRef(REFS, { name: 'refs/tags/v1.1.0' });
  assert.deepEqual([byName.commit, byName.tagName, byName.revision], [B, 'v1.1.0', `refs/tags/v1.1.0@sha1:${B}`]);
});

void test('semver picks the highest matching tag; prereleases only when asked', () => {
  assert.equal(resolveRef(REFS, { semver: '>=1.0.0' }).revision, `v1.1.0@sha1:${B}`);
  assert.equal(resolveRef(REFS, { semver: '~1.0' }).tagName, 'v1.0.0');
  assert.equal(resolveRef(REFS, { semver: '>=1.0.0-0' }).tagName, 'v2.0.0-rc.1');
  assert.equal(reason(() => resolveRef(REFS, { semver: '>=3' })), 'RefNotFound');
  assert.equal(reason(() => resolveRef(REFS, { semver: 'not a range' })), 'InvalidRef');
});

void test('precedence: commit > name > semver > tag > branch', () => {
  assert.equal(resolveRef(REFS, { branch: 'main', tag: 'v1.0.0', semver: '*', name: 'refs/pull/1/head', commit: B }).kind, 'commit');
  assert.equal(resolveRef(REFS, { branch: 'main', tag: 'v1.0.0', semver: '*', name: 'refs/pull/1/head' }).kind, 'name');
  assert.equal(resolveRef(REFS, { branch: 'main', tag: 'v1.0.0', semver: '1.0.0' }).kind, 'semver');
  assert.equal(resolveRef(REFS, { branch: 'main', tag: 'v1.0.0' }).kind, 'tag');
});

void test('missing and malformed refs are typed', () => {
  assert.equal(reason(() => resolveRef(REFS, { branch: 'nope' })), 'RefNotFound');
  assert.equal(reason(() => resolveRef(REFS, { tag: 'v9' })), 'RefNotFound');
  assert.equal(reason(() => resolveRef(REFS, { name: 'refs/pull/9/head' })), 'RefNotFound');
  assert.equal(reason(() => resolveRef(REFS, { name: 'refs/heads/' })), 'InvalidRef');
  assert.equal(reason(() => resolveRef(REFS, { commit: 'abc123' })), 'InvalidRef');
  assert.equal(reason(() => resolveRef(REFS, { commit: C, branch: 'gone' })), 'RefNotFound');
});
