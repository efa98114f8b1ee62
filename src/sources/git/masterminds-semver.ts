// Version constraints with the semantics of Masterminds/semver v3, which Flux uses for
// GitRepository spec.ref.semver (and Helm chart versions), over the `semver` package's
// comparison. Differences from node-semver that matter:
//  - a constraint without a prerelease never matches a prerelease version, and one with a
//    prerelease matches prereleases of any version (not only the same major.minor.patch);
//  - `1.2`, `1.x`, `*` are "dirty": `>1.2` means >=1.3.0, `<=1.2` means <1.3.0, `=1.2` is `~1.2`;
//  - `^0.x` / `^0.0` follow Masterminds' own table; `a - b` is `>=a, <=b`;
//  - AND is a comma or whitespace, OR is `||`.
import { SemVer } from 'semver';

/** A version as Masterminds parses it: optional `v`, missing minor/patch are 0. */
export interface Version {
  major: number;
  minor: number;
  patch: number;
  prerelease: string;
  /** The text it was parsed from. */
  original: string;
  /** For comparisons: build metadata ignored, prerelease by semver precedence. */
  semver: SemVer;
}

const NUM = String.raw`(0|[1-9]\d*)`;
const IDENT = String.raw`[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*`;
const STRICT = new RegExp(String.raw`^${NUM}\.${NUM}\.${NUM}(?:-(${IDENT}))?(?:\+(${IDENT}))?$`);
const LOOSE = new RegExp(String.raw`^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-(${IDENT}))?(?:\+(${IDENT}))?$`);

function build(major: number, minor: number, patch: number, pre: string, original: string): Version | undefined {
  if (pre !== '' && pre.split('.').some((id) => /^0\d+$/.test(id))) return undefined; // leading zero in a numeric identifier
  try {
    const semver = new SemVer(`${major}.${minor}.${patch}${pre ? `-${pre}` : ''}`);
    return { major, minor, patch, prerelease: pre, original, semver };
  } catch {
    return undefined;
  }
}

/** Masterminds NewVersion: `v1`, `1.2`, `v1.2.3-rc.1+build` … */
export function parseVersion(s: string): Version | undefined {
  const m = LOOSE.exec(s);
  if (!m) return undefined;
  return build(Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0), m[4] ?? '', s);
}

/** Flux's version.ParseVersion: StrictNewVersion (full x.y.z), except that a leading `v` is allowed. */
export function parseTagVersion(tag: string): Version | undefined {
  const m = STRICT.exec(tag.startsWith('v') ? tag.slice(1) : tag);
  if (!m) return undefined;
  return build(Number(m[1]), Number(m[2]), Number(m[3]), m[4] ?? '', tag);
}

export function compareVersions(a: Version, b: Version): number {
  return a.semver.compare(b.semver);
}

type Op = '' | '=' | '!=' | '>' | '<' | '>=' | '=>' | '<=' | '=<' | '~' | '~>' | '^';

interface Primitive {
  op: Op;
  con: Version;
  /** The version had x / * / missing parts. */
  dirty: boolean;
  minorDirty: boolean;
  patchDirty: boolean;
}

const X = '[0-9xX*]+';
const CV = String.raw`v?(${X})(\.${X})?(\.${X})?(?:-(${IDENT}))?(?:\+(${IDENT}))?`;
const OPS = String.raw`!=|>=|=>|<=|=<|~>|>|<|=|~|\^`;
const PRIMITIVE = new RegExp(String.raw`^(${OPS})?\s*(${CV})$`);
const RANGE = new RegExp(String.raw`(${CV.replace(/\((?!\?)/g, '(?:')})\s+-\s+(${CV.replace(/\((?!\?)/g, '(?:')})`, 'g');

export class ConstraintError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConstraintError';
  }
}

export class Constraint {
  readonly source: string;
  private readonly groups: Primitive[][];

  private constructor(source: string, groups: Primitive[][]) {
    this.source = source;
    this.groups = groups;
  }

  /** Parses a Masterminds constraint; throws ConstraintError when it is not one. */
  static parse(source: string): Constraint {
    const rewritten = source.replace(RANGE, (_m, low: string, high: string) => `>= ${low}, <= ${high}`);
    const groups = rewritten.split('||').map((group) => parseGroup(group, source));
    return new Constraint(source, groups);
  }

  check(v: Version): boolean {
    return this.groups.some((group) => group.every((p) => checkPrimitive(p, v)));
  }
}

function parseGroup(group: string, source: string): Primitive[] {
  // Operators may be followed by spaces (">= 1.2"); join them before splitting on whitespace.
  const tokens = group
    .trim()
    .replace(new RegExp(String.raw`(${OPS})\s+`, 'g'), '$1')
    .split(/\s*,\s*|\s+/)
    .filter((t) => t !== '');
  if (tokens.length === 0) throw new ConstraintError(`improper constraint: ${JSON.stringify(source)}`);
  return tokens.map((t) => parsePrimitive(t, source));
}

function isX(part: string | undefined): boolean {
  return part === 'x' || part === 'X' || part === '*';
}

function parsePrimitive(token: string, source: string): Primitive {
  const m = PRIMITIVE.exec(token);
  const [major, minorPart, patchPart] = [m?.[3] ?? '', (m?.[4] ?? '').slice(1), (m?.[5] ?? '').slice(1)];
  const numeric = (p: string): boolean => p === '' || isX(p) || /^\d+$/.test(p);
  if (!m || !numeric(minorPart) || !numeric(patchPart)) throw new ConstraintError(`improper constraint: ${JSON.stringify(source)}`);
  const pre = m[6] ? `-${m[6]}` : '';
  const primitive = dirtyVersion(major, minorPart, patchPart, pre);
  if (!primitive) throw new ConstraintError(`improper constraint: ${JSON.stringify(source)}`);
  return { op: (m[1] ?? '') as Op, ...primitive };
}

/** `1.x` → 1.0.0 with minor and patch dirty; `1.2` → 1.2.0 with patch dirty; `*` → 0.0.0. */
function dirtyVersion(major: string, minor: string, patch: string, pre: string): Omit<Primitive, 'op'> | undefined {
  let fields: Omit<Primitive, 'op' | 'con'> & { text: string };
  if (isX(major)) fields = { dirty: true, minorDirty: false, patchDirty: false, text: `0.0.0${pre}` };
  else if (minor === '' || isX(minor)) fields = { dirty: true, minorDirty: true, patchDirty: false, text: `${major}.0.0${pre}` };
  else if (patch === '' || isX(patch)) fields = { dirty: true, minorDirty: false, patchDirty: true, text: `${major}.${minor}.0${pre}` };
  else fields = { dirty: false, minorDirty: false, patchDirty: false, text: `${major}.${minor}.${patch}${pre}` };
  const con = parseVersion(fields.text);
  if (!con) return undefined;
  return { con, dirty: fields.dirty, minorDirty: fields.minorDirty, patchDirty: fields.patchDirty };
}

const CHECKS: Record<Op, (c: Primitive, v: Version) => boolean> = {
  '': (c, v) => (c.dirty ? tilde(c, v) : compareVersions(v, c.con) === 0),
  '=': (c, v) => (c.dirty ? tilde(c, v) : compareVersions(v, c.con) === 0),
  '!=': (c, v) => notEqual(c, v),
  '>': (c, v) => greaterThan(c, v),
  '<': (c, v) => compareVersions(v, c.con) < 0,
  '>=': (c, v) => compareVersions(v, c.con) >= 0,
  '=>': (c, v) => compareVersions(v, c.con) >= 0,
  '<=': (c, v) => lessThanEqual(c, v),
  '=<': (c, v) => lessThanEqual(c, v),
  '~': (c, v) => tilde(c, v),
  '~>': (c, v) => tilde(c, v),
  '^': (c, v) => caret(c, v),
};

function checkPrimitive(c: Primitive, v: Version): boolean {
  // A prerelease only satisfies a constraint that itself names a prerelease (Masterminds issue 21).
  if (v.prerelease !== '' && c.con.prerelease === '') return false;
  return CHECKS[c.op](c, v);
}

function notEqual(c: Primitive, v: Version): boolean {
  if (c.dirty) {
    if (c.con.major !== v.major) return true;
    if (c.minorDirty) return false;
    if (c.con.minor !== v.minor) return true;
    if (c.patchDirty) return false;
  }
  return compareVersions(v, c.con) !== 0;
}

function greaterThan(c: Primitive, v: Version): boolean {
  if (!c.dirty) return compareVersions(v, c.con) > 0;
  if (v.major !== c.con.major) return v.major > c.con.major;
  if (c.minorDirty) return false; // >1 needs 2.0.0 or more
  if (c.patchDirty) return v.minor > c.con.minor; // >1.2 needs 1.3.0 or more
  return compareVersions(v, c.con) > 0;
}

function lessThanEqual(c: Primitive, v: Version): boolean {
  if (!c.dirty) return compareVersions(v, c.con) <= 0;
  if (v.major > c.con.major) return false;
  if (v.major === c.con.major && v.minor > c.con.minor && !c.minorDirty) return false;
  return true;
}

// ~1.2.3 → >=1.2.3 <1.3.0; ~1.2 → >=1.2.0 <1.3.0; ~1 → >=1.0.0 <2.0.0; ~0.0.0 → anything
function tilde(c: Primitive, v: Version): boolean {
  if (compareVersions(v, c.con) < 0) return false;
  if (c.con.major === 0 && c.con.minor === 0 && c.con.patch === 0 && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== c.con.major) return false;
  if (v.minor !== c.con.minor && !c.minorDirty) return false;
  return true;
}

// ^1.2.3 → <2.0.0; ^0.2.3 → <0.3.0; ^0.0.3 → =0.0.3; ^0.0 → <0.1.0; ^0 → <1.0.0
function caret(c: Primitive, v: Version): boolean {
  if (compareVersions(v, c.con) < 0) return false;
  if (c.con.major > 0 || c.minorDirty) return v.major === c.con.major;
  if (v.major > 0) return false;
  if (c.con.minor > 0 || c.patchDirty) return v.minor === c.con.minor;
  if (v.minor > 0) return false;
  return v.patch === c.con.patch;
}
