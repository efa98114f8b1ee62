// SOPS's in-memory document: ordered branches whose keys are strings or comments, and the walk
// that decides, leaf by leaf, what is encrypted (path-based rules) in SOPS's own order, since
// both the additional data of each value and the MAC depend on that order.

export class Comment {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
}

export interface TreeItem {
  key: string | Comment;
  value: TreeValue;
}

export class Branch {
  items: TreeItem[];
  constructor(items: TreeItem[] = []) {
    this.items = items;
  }
}

export type Scalar = string | number | boolean | Buffer | null;
export type TreeValue = Scalar | Comment | Branch | TreeValue[];

/** The encryption rules of a document (its `sops` metadata). */
export interface CryptRules {
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
  unencryptedCommentRegex?: string;
  encryptedCommentRegex?: string;
}

/** Go's regexp.Match finds anywhere in the input; RE2 and JS agree on the common syntax. */
function matches(re: RegExp | undefined, s: string): boolean {
  return re !== undefined && re.test(s);
}

export interface CompiledRules {
  unencryptedSuffix: string;
  encryptedSuffix: string;
  unencryptedRegex?: RegExp;
  encryptedRegex?: RegExp;
  unencryptedCommentRegex?: RegExp;
  encryptedCommentRegex?: RegExp;
}

export function compileRules(r: CryptRules): CompiledRules {
  const re = (s: string | undefined) => (s ? new RegExp(s) : undefined);
  return {
    unencryptedSuffix: r.unencryptedSuffix ?? '',
    encryptedSuffix: r.encryptedSuffix ?? '',
    unencryptedRegex: re(r.unencryptedRegex),
    encryptedRegex: re(r.encryptedRegex),
    unencryptedCommentRegex: re(r.unencryptedCommentRegex),
    encryptedCommentRegex: re(r.encryptedCommentRegex),
  };
}

/** SOPS's shouldBeEncrypted: later rules override earlier ones, exactly in this order. */
export function shouldBeEncrypted(rules: CompiledRules, path: string[], comments: string[][], isComment: boolean): boolean {
  let encrypted = true;
  if (rules.unencryptedSuffix !== '' && path.some((p) => p.endsWith(rules.unencryptedSuffix))) encrypted = false;
  if (rules.encryptedSuffix !== '') encrypted = path.some((p) => p.endsWith(rules.encryptedSuffix));
  if (rules.unencryptedRegex && path.some((p) => matches(rules.unencryptedRegex, p))) encrypted = false;
  if (rules.encryptedRegex) encrypted = path.some((p) => matches(rules.encryptedRegex, p));
  if (rules.unencryptedCommentRegex && comments.some((cs) => cs.some((c) => matches(rules.unencryptedCommentRegex, c)))) {
    encrypted = false;
  }
  if (rules.encryptedCommentRegex) encrypted = encryptedByComment(rules.encryptedCommentRegex, comments, isComment);
  return encrypted;
}

function encryptedByComment(re: RegExp, comments: string[][], isComment: boolean): boolean {
  const last = comments.length - 1;
  const lastLen = comments[last]?.length ?? 0;
  for (let i = 0; i < comments.length; i++) {
    const cs = comments[i] ?? [];
    for (let j = 0; j < cs.length; j++) {
      // The comment line that matches does not encrypt itself, only what follows it.
      if (isComment && i === last && j === lastLen - 1) continue;
      if (matches(re, cs[j] ?? '')) return true;
    }
  }
  return false;
}

export type LeafFn = (value: Scalar | Comment, path: string[], comments: string[][]) => TreeValue;

/** Walks like SOPS's walkBranch/walkSlice/walkValue, replacing every leaf with onLeaf's result. */
export function walkBranch(branch: Branch, path: string[], stack: string[][], onLeaf: LeafFn): void {
  const comments = [...stack, []] as string[][];
  const active = () => comments[comments.length - 1] as string[];
  for (const item of branch.items) {
    if (item.key instanceof Comment) {
      active().push(item.key.value);
      const out = onLeaf(item.key, path, comments);
      item.key = out instanceof Comment ? out : new Comment(typeof out === 'string' ? out : '');
      continue;
    }
    const valueIsComment = item.value instanceof Comment;
    if (item.value instanceof Comment) active().push(item.value.value);
    item.value = walkValue(item.value, [...path, item.key], comments, onLeaf);
    if (!valueIsComment) comments[comments.length - 1] = [];
  }
}

function walkSlice(list: TreeValue[], path: string[], stack: string[][], onLeaf: LeafFn): TreeValue[] {
  const comments = [...stack, []] as string[][];
  for (let i = 0; i < list.length; i++) {
    const v = list[i] as TreeValue;
    const isComment = v instanceof Comment;
    if (v instanceof Comment) (comments[comments.length - 1] as string[]).push(v.value);
    list[i] = walkValue(v, path, comments, onLeaf);
    if (!isComment) comments[comments.length - 1] = [];
  }
  return list;
}

function walkValue(v: TreeValue, path: string[], comments: string[][], onLeaf: LeafFn): TreeValue {
  if (v === null) return null; // nothing to encrypt in a null, and it is not part of the MAC
  if (v instanceof Branch) {
    walkBranch(v, path, comments, onLeaf);
    return v;
  }
  if (Array.isArray(v)) return walkSlice(v, path, comments, onLeaf);
  return onLeaf(v, path, comments);
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatFloatF(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  const s = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, int, frac = '', expS] = m;
  const digits = `${int}${frac}`;
  const exp = Number(expS);
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const point = 1 + exp;
  return point >= digits.length ? `${sign}${digits}${'0'.repeat(point - digits.length)}` : `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** SOPS's ToBytes: what a value contributes to the MAC. */
export function toBytes(v: Scalar): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (typeof v === 'number') return Buffer.from(formatFloatF(v));
  if (typeof v === 'boolean') return Buffer.from(v ? 'True' : 'False');
  return Buffer.alloc(0);
}
