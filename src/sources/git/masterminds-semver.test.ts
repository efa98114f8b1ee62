import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Constraint, ConstraintError, parseTagVersion, parseVersion } from './masterminds-semver.ts';

function check(range: string, version: string): boolean {
  const v = parseVersion(version);
  assert.ok(v, `unparsable test version ${version}`);
  return Constraint.parse(range).check(v);
}

// Expectations follow Masterminds/semver v3's constraint tests and README tables.
const CASES: Array<[string, string, boolean]> = [
  ['=2.0.0', '1.2.3', false], ['=2.0.0', '2.0.0', true], ['2.0', '2.0.5', true], ['=2.0', '2.1.0', false],
  ['4.1', '4.1.0', true], ['4.1.x', '4.1.3', true], ['1.x', '1.4.0', true], ['1.x', '2.0.0', false], ['*', '4.5.6', true],
  ['!=4.1', '4.1.0', false], ['!=4.1', '5.1.0', true], ['!=4.x', '5.1.0', true], ['!=4.x', '4.1.0', false], ['!=4.1.x', '4.2.0', true],
  ['>1.1', '4.1.0', true], ['>1.1', '1.1.5', false], ['>1.1', '1.2.0', true], ['>11', '11.1.0', false], ['>11', '12.0.0', true],
  ['>0', '0.1.0', false], ['>0', '1.0.0', true], ['>1.1.0', '1.1.1', true],
  ['<1.1', '1.0.0', true], ['<1.1', '1.1.0', false], ['<=1.1', '1.1.9', true], ['<=1.1', '1.2.0', false], ['<=1.x', '1.9.9', true], ['<=1.x', '2.0.0', false],
  ['>=1.1', '1.1.0', true], ['=>1.1', '1.0.0', false], ['=<1.1.0', '1.1.0', true],
  ['~1.2.3', '1.2.4', true], ['~1.2.3', '1.3.0', false], ['~1.2', '1.2.9', true], ['~1', '1.9.9', true], ['~1', '2.0.0', false], ['~>1.2', '1.2.3', true],
  ['~0.0.0', '3.0.0', true], ['~1.x', '1.5.0', true],
  ['^1.2.3', '1.8.0', true], ['^1.2.3', '2.0.0', false], ['^1.2.3', '1.2.2', false], ['^1.2', '1.9.0', true], ['^1', '1.0.0', true],
  ['^0.2.3', '0.2.9', true], ['^0.2.3', '0.3.0', false], ['^0.0.3', '0.0.3', true], ['^0.0.3', '0.0.4', false], ['^0.0', '0.0.9', true], ['^0.0', '0.1.0', false],
  ['^0', '0.9.0', true], ['^0', '1.0.0', false], ['^0.x', '0.5.0', true],
  ['>=1.0 <2', '1.9.9', true], ['>=1.0 <2', '2.0.0', false], ['>=1.0, <2', '1.5.0', true], ['>= 1.0, < 2', '1.5.0', true],
  ['<1 || >=3', '0.5.0', true], ['<1 || >=3', '2.0.0', false], ['<1 || >=3', '3.1.0', true],
  ['1.1 - 2', '1.5.0', true], ['1.1 - 2', '2.9.0', true], ['1.1 - 2', '3.0.0', false], ['1.1 - 2', '1.0.0', false],
  ['v1.2.3', '1.2.3', true], ['>=v1.0.0', 'v1.5.0', true],
  // Prereleases only match constraints that name one, of any version.
  ['>=1.0.0', '1.5.0-beta.1', false], ['>=1.0.0-0', '1.5.0-beta.1', true], ['>=1.0.0-0', '2.0.0-rc.1', true],
  ['~1.2.3-beta.2', '1.2.3-beta.4', true], ['~1.2.3-beta.2', '1.2.3-beta.1', false], ['^1.0.0-alpha', '1.5.0', true],
  ['*', '1.0.0-alpha', false], ['<2.0.0', '2.0.0-alpha', false], ['<2.0.0-beta', '2.0.0-alpha', true],
  ['=1.2.3+build.5', '1.2.3', true],
];

void test('Masterminds constraint semantics', () => {
  for (const [range, version, expected] of CASES) {
    assert.equal(check(range, version), expected, `${range} ∋ ${version}`);
  }
});

void test('improper constraints are rejected', () => {
  for (const bad of ['', '>>1', 'abc', '1.2.3.4', '>=1.0 <', '1.2.a', '||']) {
    assert.throws(() => Constraint.parse(bad), ConstraintError, bad);
  }
});

void test('tags parse as Flux does: strict x.y.z with an optional v', () => {
  assert.equal(parseTagVersion('v1.2.3')?.original, 'v1.2.3');
  assert.equal(parseTagVersion('1.2.3-rc.1+b7')?.prerelease, 'rc.1');
  for (const bad of ['1.2', 'v1', '1.2.3.4', 'release-1.2.3', '01.2.3', '1.2.3-01', 'V1.2.3']) {
    assert.equal(parseTagVersion(bad), undefined, bad);
  }
  assert.equal(parseVersion('1.2')?.patch, 0);
});
