// Post-build variable substitution as Flux's kustomize-controller does it (fluxcd/pkg/envsubst,
// a drone/envsubst fork): only `${...}` forms (no bare `$var`), `$$` escapes a `$` (so `$${var}`
// stays literal), defaults with `${var:=d}`, `${var=d}`, `${var:-d}` (and `:+`, `:?`, which
// Flux evaluates as defaults too), plus the bash string functions. Substitution runs on the
// object's YAML text, which is parsed back so that a `${replicas}` becomes a number. Values
// (which may come from Secrets) never appear in an error.
import { parse, stringify } from 'yaml';
import type { KubeObject } from '../../kube/types.ts';

export type SubstitutionReason = 'VariableNotSet' | 'InvalidVariable' | 'SourceNotFound' | 'ParseFailed';

export class SubstitutionError extends Error {
  readonly reason: SubstitutionReason;
  constructor(reason: SubstitutionReason, message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'SubstitutionError';
    this.reason = reason;
  }
}

const SUBSTITUTE_KEY = 'kustomize.toolkit.fluxcd.io/substitute';
const VAR_NAME = /^[_\p{L}][_\p{L}\p{Nd}]*$/u;
const IDENT = /[\p{L}\p{N}_]/u;
const DEFAULT_OPS = new Set(['=', ':=', ':-', ':+', ':?']);

interface Ctx {
  vars: Record<string, string>;
  strict: boolean;
}

/** Shell glob (`*`, `?`) to an anchored-at-nothing regex source. */
function globSource(pattern: string, greedy: boolean): string {
  let out = '';
  for (const ch of pattern) {
    if (ch === '*') out += greedy ? '.*' : '.*?';
    else if (ch === '?') out += '.';
    else out += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return out;
}

function shortestSuffixMatch(v: string, pattern: string, longest: boolean): string {
  // Try cut points from the end (shortest) or from the start (longest).
  const re = new RegExp(`^${globSource(pattern, true)}$`, 's');
  const idx = [...Array(v.length + 1).keys()];
  for (const i of longest ? idx : idx.reverse()) if (re.test(v.slice(i))) return v.slice(0, i);
  return v;
}

type Func = (v: string, a: string, b: string, args: string[]) => string;

const FUNCS: Record<string, Func> = {
  '': (v) => v,
  ',': (v) => v.charAt(0).toLowerCase() + v.slice(1),
  ',,': (v) => v.toLowerCase(),
  '^': (v) => v.charAt(0).toUpperCase() + v.slice(1),
  '^^': (v) => v.toUpperCase(),
  len: (v) => String([...v].length),
  '#': (v, a) => v.replace(new RegExp(`^${globSource(a, false)}`, 's'), ''),
  '##': (v, a) => v.replace(new RegExp(`^${globSource(a, true)}`, 's'), ''),
  '%': (v, a) => shortestSuffixMatch(v, a, false),
  '%%': (v, a) => shortestSuffixMatch(v, a, true),
  ':': (v, a, b, args) => {
    const start = Math.max(0, Number.parseInt(a, 10) || 0);
    return args.length > 1 ? v.substr(start, Math.max(0, Number.parseInt(b, 10) || 0)) : v.slice(start);
  },
  '/': (v, a, b) => (a === '' ? v : v.replace(a, () => b)),
  '//': (v, a, b) => (a === '' ? v : v.split(a).join(b)),
  '/#': (v, a, b) => (v.startsWith(a) ? b + v.slice(a.length) : v),
  '/%': (v, a, b) => (v.endsWith(a) ? v.slice(0, v.length - a.length) + b : v),
};

function applyFunc(op: string, v: string, args: string[]): string {
  const [a = '', b = ''] = args;
  const fn = FUNCS[op];
  // Every default-style operator (=, :=, :-, :+, :?): the argument when the value is empty.
  return fn ? fn(v, a, b, args) : v === '' ? args.join('') : v;
}

class Evaluator {
  readonly s: string;
  readonly ctx: Ctx;
  i = 0;
  constructor(s: string, ctx: Ctx) {
    this.s = s;
    this.ctx = ctx;
  }

  fail(what: string): never {
    throw new SubstitutionError('ParseFailed', `variable substitution failed: ${what} at offset ${this.i}`);
  }

  /** Text until end (top level) or an unescaped `}` (inside an argument), expanding `${...}`. */
  text(stopAt: (ch: string) => boolean, escapeSlash: boolean): string {
    let out = '';
    while (this.i < this.s.length) {
      const ch = this.s[this.i] as string;
      if (stopAt(ch)) break;
      if (ch === '$' && this.s[this.i + 1] === '$') {
        out += '$';
        this.i += 2;
        continue;
      }
      if (escapeSlash && ch === '\\' && (this.s[this.i + 1] === '/' || this.s[this.i + 1] === '\\')) {
        out += this.s[this.i + 1];
        this.i += 2;
        continue;
      }
      if (ch === '$' && this.s[this.i + 1] === '{') {
        this.i += 2;
        out += this.expr();
        continue;
      }
      out += ch;
      this.i++;
    }
    return out;
  }

  ident(): string {
    const start = this.i;
    while (this.i < this.s.length && IDENT.test(this.s[this.i] as string)) this.i++;
    if (this.i === start) this.fail('unable to parse variable name');
    return this.s.slice(start, this.i);
  }

  close(): void {
    if (this.s[this.i] !== '}') this.fail('missing closing brace');
    this.i++;
  }

  lookup(name: string, op: string): string {
    const v = this.ctx.vars[name];
    if (v === undefined && this.ctx.strict && !DEFAULT_OPS.has(op)) {
      throw new SubstitutionError('VariableNotSet', `variable substitution failed: variable not set (strict mode): "${name}"`);
    }
    return v ?? '';
  }

  argUntil(stop: string): string {
    return this.text((ch) => ch === '}' || stop.includes(ch), true);
  }

  expr(): string {
    if (this.s[this.i] === '#') {
      this.i++;
      const name = this.ident();
      this.close();
      return applyFunc('len', this.lookup(name, '#'), []);
    }
    const name = this.ident();
    const rest = this.s.slice(this.i, this.i + 2);
    let op = '';
    const args: string[] = [];
    if (rest[0] === '}') op = '';
    else if (/^:[=\-?+]/.test(rest) || rest[0] === '=') {
      op = rest[0] === '=' ? '=' : rest;
      this.i += op.length;
      args.push(this.argUntil(''));
    } else if (rest[0] === ':') {
      op = ':';
      this.i++;
      args.push(this.argUntil(':'));
      if (this.s[this.i] === ':') {
        this.i++;
        args.push(this.argUntil(''));
      }
    } else if (/^[,^]/.test(rest)) {
      op = rest[1] === rest[0] ? rest : (rest[0] as string);
      this.i += op.length;
    } else if (/^[#%]/.test(rest)) {
      op = rest[1] === rest[0] ? rest : (rest[0] as string);
      this.i += op.length;
      args.push(this.argUntil(''));
    } else if (rest[0] === '/') {
      op = /^\/[/#%]/.test(rest) ? rest : '/';
      this.i += op.length;
      args.push(this.argUntil('/'));
      if (this.s[this.i] === '/') {
        this.i++;
        args.push(this.argUntil(''));
      }
    }
    this.close();
    return applyFunc(op, this.lookup(name, op), args);
  }
}

/** Expands `${...}` in text; exported for table tests. */
export function envsubst(text: string, vars: Record<string, string>, opts: { strict: boolean }): string {
  const e = new Evaluator(text, { vars, strict: opts.strict });
  const out = e.text(() => false, false);
  return out;
}

function isDisabled(obj: KubeObject): boolean {
  return obj.metadata?.labels?.[SUBSTITUTE_KEY] === 'disabled' || obj.metadata?.annotations?.[SUBSTITUTE_KEY] === 'disabled';
}

/**
 * Substitutes vars in one built object. Flux leaves the object alone when it is labelled or
 * annotated `kustomize.toolkit.fluxcd.io/substitute: disabled` or when there are no vars.
 */
export function substituteObject(obj: KubeObject, vars: Record<string, string>, opts: { strict: boolean }): KubeObject {
  if (isDisabled(obj) || Object.keys(vars).length === 0) return obj;
  for (const name of Object.keys(vars)) {
    if (!VAR_NAME.test(name)) {
      throw new SubstitutionError('InvalidVariable', `'${name}' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'`);
    }
  }
  // Without a `$` the text comes back unchanged; the YAML round trip (most of the cost) would
  // only give back the same object.
  if (!JSON.stringify(obj).includes('$')) return obj;
  return substituteStrings(obj, vars, opts) ?? substituteViaYaml(obj, vars, opts);
}

/** Flux's way: substitution on the object's YAML text, parsed back (exported for tests). */
export function substituteViaYaml(obj: KubeObject, vars: Record<string, string>, opts: { strict: boolean }): KubeObject {
  // YAML 1.1 both ways, as sigs.k8s.io/yaml reads it: `yes`/`on` from a var become booleans,
  // while strings that merely look like them stay quoted in the text.
  const text = stringify(obj, { version: '1.1', lineWidth: 0 });
  const out = envsubst(text, vars, opts);
  let parsed: unknown;
  try {
    parsed = parse(out, { version: '1.1' });
  } catch {
    // No cause: the parser's message quotes the substituted text, which may hold Secret values.
    throw new SubstitutionError('ParseFailed', `variable substitution produced invalid YAML for ${obj.kind} '${obj.metadata?.name ?? ''}'`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SubstitutionError('ParseFailed', `variable substitution produced a non-object for ${obj.kind} '${obj.metadata?.name ?? ''}'`);
  }
  return parsed as KubeObject;
}

/** A one-line string whose characters are the same in every YAML style (plain, '…', "…"). */
const STYLE_INVARIANT = /^[\x20\x21\x23-\x26\x28-\x5b\x5d-\x7e]*$/;
/** A string YAML 1.1 reads back as itself when written plain (not a number, bool, null, …). */
const PLAIN_STRING = /^[A-Za-z_/][\w./@+=-]*(?::[\w./@+=-]+)*$/;
const YAML11_WORDS = /^(?:[yYnN]|[Yy]es|YES|[Nn]o|NO|[Tt]rue|TRUE|[Ff]alse|FALSE|[Oo]n|ON|[Oo]ff|OFF|[Nn]ull|NULL)$/;

/**
 * The substitution without the YAML round trip, where it provably gives the same object: every
 * `$` sits in a string value whose text is the same however YAML quotes it (so the text sees
 * the same `${…}`), and every result is a string YAML reads back as itself however it is
 * written. Otherwise (a key with a `$`, a result such as `3` or `true` that YAML would retype,
 * any error, whose message must carry the text's offsets) undefined: the round trip decides.
 */
function substituteStrings(obj: KubeObject, vars: Record<string, string>, opts: { strict: boolean }): KubeObject | undefined {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('$')) return v;
      if (!STYLE_INVARIANT.test(v)) throw NOT_DIRECT;
      const out = envsubst(v, vars, opts);
      if (!PLAIN_STRING.test(out) || YAML11_WORDS.test(out)) throw NOT_DIRECT;
      return out;
    }
    if (Array.isArray(v)) {
      const items = v.map(walk);
      return items.some((x, i) => x !== v[i]) ? items : v;
    }
    if (typeof v === 'object' && v !== null) {
      let copy: Record<string, unknown> | undefined;
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('$')) throw NOT_DIRECT;
        const y = walk(x);
        if (y !== x) (copy ??= { ...(v as Record<string, unknown>) })[k] = y;
      }
      return copy ?? v;
    }
    return v;
  };
  try {
    return walk(obj) as KubeObject;
  } catch {
    return undefined;
  }
}
const NOT_DIRECT = new Error('not substitutable without the YAML round trip');

export interface SubstituteSource {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  /** The source's data (Secret values already base64-decoded); undefined when it was not found. */
  data: Record<string, string> | undefined;
  optional: boolean;
}

/**
 * Flux's order: each substituteFrom source in turn (a later one overrides an earlier one), then
 * the inline `substitute` map over all of them. Newlines are removed from every value. A missing
 * source that is not optional is an error.
 */
export function mergeSubstituteVars(sources: SubstituteSource[], inline: Record<string, string> | undefined): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const src of sources) {
    if (src.data === undefined) {
      if (src.optional) continue;
      throw new SubstitutionError('SourceNotFound', `substitute from '${src.kind}/${src.name}' error: not found`);
    }
    for (const [k, v] of Object.entries(src.data)) vars[k] = v.replaceAll('\n', '');
  }
  for (const [k, v] of Object.entries(inline ?? {})) vars[k] = v.replaceAll('\n', '');
  return vars;
}
