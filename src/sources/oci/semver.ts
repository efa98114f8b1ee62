// Masterminds/semver v3 constraint semantics (what Flux uses for `spec.ref.semver`) on top of
// the `semver` package's versions and ordering. The differences from node-semver ranges that
// matter: a prerelease version matches only when its OR-group names a prerelease somewhere;
// `,` is AND; `!=` exists; `x`/`*` wildcards make a comparator "dirty" with its own rules.
import { SemVer, compare } from 'semver';

// Masterminds' loose version syntax: optional 'v', missing minor/patch, leading zeros allowed.
const LOOSE_VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/** Masterminds NewVersion: undefined when not a version. */
export function parseLooseVersion(text: string): SemVer | undefined {
  const m = LOOSE_VERSION.exec(text);
  if (!m) return undefined;
  const pre = m[4];
  // Masterminds rejects numeric prerelease identifiers with leading zeros ("1.0.0-01").
  if (pre !== undefined && pre.split('.').some((id) => /^0\d+$/.test(id))) return undefined;
  const core = [m[1], m[2] ?? '0', m[3] ?? '0'].map((n) => String(Number(n)));
  try {
    return new SemVer(`${core.join('.')}${pre !== undefined ? `-${pre}` : ''}${m[5] !== undefined ? `+${m[5]}` : ''}`);
  } catch {
    return undefined; // numbers beyond what semver accepts
  }
}

/**
 * fluxcd/pkg/version.ParseVersion: a tag is a version when it has three dot-separated parts
 * (so "1.2" is not) and Masterminds parses it loosely ("v1.2.3", "2025.02.03-rc.1").
 */
export function parseTagVersion(tag: string): SemVer | undefined {
  return tag.split('.').length >= 3 ? parseLooseVersion(tag) : undefined;
}

interface Comparator {
  op: string;
  con: SemVer;
  dirty: boolean;
  minorDirty: boolean;
  patchDirty: boolean;
}

export interface Constraint {
  check(version: SemVer): boolean;
}

const CV = String.raw`v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?`;
const OPS = String.raw`=||!=|>|<|>=|=>|<=|=<|~|~>|\^`;
const CONSTRAINT = new RegExp(String.raw`^\s*(${OPS})\s*(${CV})\s*$`);
const RANGE = new RegExp(String.raw`\s*(${CV})\s+-\s+(${CV})\s*`, 'g');
const FIND = new RegExp(String.raw`(${OPS})\s*(${CV})`, 'g');
const VALID_GROUP = new RegExp(String.raw`^(\s*(${OPS})\s*(${CV})\s*)((?:\s+|,\s*)(${OPS})\s*(${CV})\s*)*$`);

/** Masterminds NewConstraint; throws Error on a malformed constraint. */
export function parseConstraint(text: string): Constraint {
  // "1.2 - 1.4" is ">= 1.2, <= 1.4"; group 1 and 11 are the two versions.
  const rewritten = text.replace(RANGE, (_m, lo: string, ...rest: string[]) => `>= ${lo}, <= ${rest[9]} `);
  const groups = rewritten.split('||').map((group) => {
    if (!VALID_GROUP.test(group)) throw new Error(`improper constraint: ${group}`);
    return [...group.matchAll(FIND)].map((m) => parseComparator(m[0]));
  });
  // A group that names a prerelease anywhere lets prereleases through all its comparators.
  const includePre = groups.map((group) => group.some((c) => c.con.prerelease.length > 0));
  return {
    check: (v) => groups.some((group, i) => group.every((c) => !(v.prerelease.length > 0 && !includePre[i]) && OP_CHECKS[c.op]!(v, c))),
  };
}

function parseComparator(text: string): Comparator {
  const m = CONSTRAINT.exec(text);
  if (!m) throw new Error(`improper constraint: ${text}`);
  const [, op = '', whole = '', major = '', minor = '', patch = '', pre = ''] = m;
  const isX = (s: string) => s === 'x' || s === 'X' || s === '*';
  let version = whole;
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(major)) {
    version = `0.0.0${pre}`;
    dirty = true;
  } else if (minor === '' || isX(minor.slice(1))) {
    version = `${major}.0.0${pre}`;
    dirty = minorDirty = true;
  } else if (patch === '' || isX(patch.slice(1))) {
    version = `${major}${minor}.0${pre}`;
    dirty = patchDirty = true;
  }
  const con = parseLooseVersion(version);
  if (!con) throw new Error(`improper constraint: ${text}`);
  return { op, con, dirty, minorDirty, patchDirty };
}

const cmp = (a: SemVer, b: SemVer): number => compare(a, b);

function tilde(v: SemVer, c: Comparator): boolean {
  if (cmp(v, c.con) < 0) return false;
  if (c.con.major === 0 && c.con.minor === 0 && c.con.patch === 0 && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== c.con.major) return false;
  return v.minor === c.con.minor || c.minorDirty;
}

function notEqual(v: SemVer, c: Comparator): boolean {
  if (c.dirty) {
    if (c.con.major !== v.major) return true;
    if (c.con.minor !== v.minor && !c.minorDirty) return true;
    if (c.minorDirty) return false;
    if (c.con.patch !== v.patch && !c.patchDirty) return true;
    if (c.patchDirty) {
      if (v.prerelease.length > 0 || c.con.prerelease.length > 0) return v.prerelease.join('.') !== c.con.prerelease.join('.');
      return false;
    }
  }
  return cmp(v, c.con) !== 0;
}

function greaterThan(v: SemVer, c: Comparator): boolean {
  if (!c.dirty) return cmp(v, c.con) > 0;
  if (v.major > c.con.major) return true;
  if (v.major < c.con.major || c.minorDirty) return false;
  if (c.patchDirty) return v.minor > c.con.minor;
  return cmp(v, c.con) > 0;
}

function lessThanEqual(v: SemVer, c: Comparator): boolean {
  if (!c.dirty) return cmp(v, c.con) <= 0;
  if (v.major > c.con.major) return false;
  return !(v.major === c.con.major && v.minor > c.con.minor && !c.minorDirty);
}

function caret(v: SemVer, c: Comparator): boolean {
  if (cmp(v, c.con) < 0) return false;
  if (c.con.major > 0 || c.minorDirty) return v.major === c.con.major;
  if (v.major > 0) return false;
  if (c.con.minor > 0 || c.patchDirty) return v.minor === c.con.minor;
  if (v.minor > 0) return false;
  return v.patch === c.con.patch;
}

const OP_CHECKS: Record<string, (v: SemVer, c: Comparator) => boolean> = {
  '': (v, c) => (c.dirty ? tilde(v, c) : cmp(v, c.con) === 0),
  '=': (v, c) => (c.dirty ? tilde(v, c) : cmp(v, c.con) === 0),
  '!=': notEqual,
  '>': greaterThan,
  '<': (v, c) => cmp(v, c.con) < 0,
  '>=': (v, c) => cmp(v, c.con) >= 0,
  '=>': (v, c) => cmp(v, c.con) >= 0,
  '<=': lessThanEqual,
  '=<': lessThanEqual,
  '~': tilde,
  '~>': tilde,
  '^': caret,
};
