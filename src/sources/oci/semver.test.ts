import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConstraint, parseLooseVersion, parseTagVersion } from './semver.ts';

void describe('Masterminds constraint semantics', () => {
  // [constraint, version, matches]
  const table: [string, string, boolean][] = [
    ['=2.0', '2.0.0', true],
    ['=2.0', '2.0.5', true],
    ['=2.0', '2.1.0', false],
    ['2.0.1', '2.0.1', true],
    ['2.0.1', 'v2.0.1', true],
    ['>=1.1', '4.1.0', true],
    ['<1.1', '1.1.0', false],
    ['<1.1', '0.1.0', true],
    ['<=1.1', '1.1.1', true],
    ['<=1.1', '1.2.0', false],
    ['>1.1', '1.1.9', false],
    ['>1.1', '1.2.0', true],
    ['>11', '11.9.0', false],
    ['>11', '12.0.0', true],
    ['^1.2.3', '1.8.9', true],
    ['^1.2.3', '2.0.0', false],
    ['^1.2.3', '1.2.1', false],
    ['^0.2.3', '0.2.5', true],
    ['^0.2.3', '0.3.0', false],
    ['^0.0.3', '0.0.3', true],
    ['^0.0.3', '0.0.4', false],
    ['^0.0', '0.0.9', true],
    ['^0.0', '0.1.0', false],
    ['~1.2.3', '1.2.9', true],
    ['~1.2.3', '1.3.0', false],
    ['~>1', '1.9.0', true],
    ['~1', '2.0.0', false],
    ['!=4.1', '4.1.5', false],
    ['!=4.1', '4.2.0', true],
    ['!=4.1.0', '4.1.1', true],
    ['1.2 - 1.4.5', '1.3.0', true],
    ['1.2 - 1.4.5', '1.4.6', false],
    ['1.2 - 1.4.5', '1.1.9', false],
    ['1.x || >=2.5.0', '2.5.1', true],
    ['1.x || >=2.5.0', '2.0.0', false],
    ['>= 1.2, < 3.0.0 || >= 4.2.3', '2.9.0', true],
    ['>= 1.2, < 3.0.0 || >= 4.2.3', '3.1.0', false],
    ['>=1.2.0 <2', '1.5.0', true],
    ['*', '7.0.0', true],
    ['x', '0.0.1', true],
    ['v1.x', '1.4.0', true],
    // Prereleases only when the OR-group names one (anywhere in the group).
    ['>1.2', '1.3.0-beta', false],
    ['*', '1.0.0-rc.1', false],
    ['>=1.2.0-0', '1.3.0-beta', true],
    ['>=1.2.0-0 <2.0.0', '1.9.0-rc.1', true],
    ['>=1.2.0-0 <2.0.0', '2.0.0-rc.1', true],
    ['>=1.2.0 || >=1.2.0-0 <1.5.0', '1.4.0-rc.1', true],
    ['>=1.2.0 || <1.0.0', '1.4.0-rc.1', false],
    ['>= 6.1.x-0', '6.1.0-rc.1', true],
    ['>= 6.1.x-0', '6.0.9-rc.1', false],
    ['>= 6.1.x-0', '6.2.0', true],
    ['>=1.0.0-beta.2', '1.0.0-beta.10', true],
    ['>=1.0.0-beta.2', '1.0.0-alpha', false],
  ];
  for (const [constraint, version, want] of table) {
    void test(`${constraint} ${want ? 'matches' : 'rejects'} ${version}`, () => {
      const v = parseLooseVersion(version);
      assert.ok(v, version);
      assert.equal(parseConstraint(constraint).check(v), want);
    });
  }
  void test('malformed constraints throw', () => {
    for (const bad of ['', '  ', '>=a', '1.2.3 &&', '>=>1', 'latest']) assert.throws(() => parseConstraint(bad), /improper constraint/, bad);
  });
});

void describe('tag versions (fluxcd/pkg/version.ParseVersion)', () => {
  void test('needs three parts; v prefix and leading zeros are fine', () => {
    assert.equal(parseTagVersion('v1.2.3')?.version, '1.2.3');
    assert.equal(parseTagVersion('2025.02.03-rc.1')?.version, '2025.2.3-rc.1');
    assert.equal(parseTagVersion('1.2.3+build.1')?.build.join('.'), 'build.1');
    for (const bad of ['1.2', 'latest', '1', 'v1', '1.2.3.4', '1.2.3-01', '1.2.3-', 'x1.2.3', '1.2.3_4']) {
      assert.equal(parseTagVersion(bad), undefined, bad);
    }
  });
});
