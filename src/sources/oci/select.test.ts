import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isOciError } from './errors.ts';
import { digestFromRevision, formatRevision, selectSemverTag } from './select.ts';

const D = `sha256:${'b'.repeat(64)}`;

void describe('selectSemverTag', () => {
  const tags = ['latest', '1.0.0', 'v1.2.0', '1.2', '1.3.0-rc.1', '2.0.0', 'v2.1.0-rc.2', 'main-abc123', '1.10.0'];
  void test('highest match; numeric ordering, not string ordering', () => {
    assert.equal(selectSemverTag(tags, '1.x'), '1.10.0');
    assert.equal(selectSemverTag(tags, '>=1.0.0 <1.10.0'), 'v1.2.0');
    assert.equal(selectSemverTag(tags, '*'), '2.0.0');
  });
  void test('prereleases only with a prerelease in the range', () => {
    assert.equal(selectSemverTag(tags, '>=2.0.0'), '2.0.0');
    assert.equal(selectSemverTag(tags, '>=2.0.0-0'), 'v2.1.0-rc.2');
  });
  void test('semverFilter is an unanchored regex applied before semver', () => {
    assert.equal(selectSemverTag(tags, '>=1.0.0-0', '.*-rc.*'), 'v2.1.0-rc.2');
    assert.equal(selectSemverTag(tags, '>=1.0.0-0', '^1\\.'), '1.10.0');
    assert.equal(selectSemverTag(tags, '>=1.0.0-0', 'rc\\.1'), '1.3.0-rc.1');
  });
  void test('equal versions: the first listed wins', () => {
    assert.equal(selectSemverTag(['v3.0.0', '3.0.0'], '3.x'), 'v3.0.0');
  });
  void test('typed errors', () => {
    assert.throws(() => selectSemverTag(tags, '>=9'), (e: unknown) => isOciError(e, 'NoMatchingTag') && /no match found for semver: >=9/.test(e.message));
    assert.throws(() => selectSemverTag(tags, 'not a range'), (e: unknown) => isOciError(e, 'InvalidReference'));
    assert.throws(() => selectSemverTag(tags, '*', '(unclosed'), (e: unknown) => isOciError(e, 'InvalidReference'));
  });
});

void describe('revisions', () => {
  void test("Flux's formats", () => {
    assert.equal(formatRevision({ kind: 'tag', tag: 'v1.0.0' }, D), `v1.0.0@${D}`);
    assert.equal(formatRevision({ kind: 'digest', digest: D }, D), D);
    assert.equal(digestFromRevision(`latest@${D}`), D);
    assert.equal(digestFromRevision(D), D);
  });
});
