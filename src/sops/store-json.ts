// JSON as SOPS's JSON store reads it (object key order kept, numbers as float64) and writes it
// (Go's encoding/json escaping, tab indentation, trailing newline). The binary store is a JSON
// envelope whose `data` string is the whole file.
import { SopsError } from './errors.ts';
import { Branch, Comment, type TreeItem, type TreeValue } from './tree.ts';

// A JSON string token: no raw control characters, only JSON's escapes.
const STRING_SOURCE = '"(?:[^"\\\\\\u0000-\\u001f]|\\\\(?:["\\\\/bfnrt]|u[0-9a-fA-F]{4}))*"';

class Parser {
  readonly s: string;
  i = 0;
  // Sticky, so strings match at the cursor without copying the input; one per parse, as its
  // lastIndex is state.
  readonly stringRe = new RegExp(STRING_SOURCE, 'y');
  constructor(s: string) {
    this.s = s;
  }

  fail(): never {
    throw new SopsError('Malformed', `JSON input could not be parsed (offset ${this.i})`);
  }

  ws(): void {
    while (this.i < this.s.length && ' \t\r\n'.includes(this.s[this.i] as string)) this.i++;
  }

  value(): TreeValue {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) this.fail();
    this.i += m[0].length;
    return JSON.parse(m[0]) as TreeValue;
  }

  string(): string {
    this.stringRe.lastIndex = this.i;
    const m = this.stringRe.exec(this.s);
    if (!m) this.fail();
    this.i += m[0].length;
    return JSON.parse(m[0]) as string;
  }

  expect(ch: string): void {
    this.ws();
    if (this.s[this.i] !== ch) this.fail();
    this.i++;
  }

  object(): Branch {
    this.expect('{');
    const items: TreeItem[] = [];
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return new Branch(items);
    }
    for (;;) {
      this.ws();
      const key = this.string();
      this.expect(':');
      items.push({ key, value: this.value() });
      this.ws();
      if (this.s[this.i] === ',') {
        this.i++;
        continue;
      }
      this.expect('}');
      return new Branch(items);
    }
  }

  array(): TreeValue[] {
    this.expect('[');
    const out: TreeValue[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      if (this.s[this.i] === ',') {
        this.i++;
        continue;
      }
      this.expect(']');
      return out;
    }
  }
}

export function parseJsonTree(text: string): Branch {
  const p = new Parser(text);
  const v = p.value();
  p.ws();
  if (!(v instanceof Branch)) throw new SopsError('Malformed', 'JSON input is not an object');
  return v;
}

/** Converts a tree value back to plain JS (metadata reading; comments dropped). */
export function toPlain(v: TreeValue): unknown {
  if (v instanceof Branch) {
    const o: Record<string, unknown> = {};
    for (const it of v.items) if (typeof it.key === 'string') o[it.key] = toPlain(it.value);
    return o;
  }
  if (Array.isArray(v)) return v.filter((x) => !(x instanceof Comment)).map(toPlain);
  if (v instanceof Comment) return v.value;
  return v;
}

export function loadJson(text: string): { branches: Branch[]; metadata: unknown } {
  const b = parseJsonTree(text);
  const md = b.items.find((it) => it.key === 'sops');
  b.items = b.items.filter((it) => it.key !== 'sops');
  return { branches: [b], metadata: md ? toPlain(md.value) : undefined };
}

/** Go's json.Marshal for a string: HTML-safe escaping included. */
export function goJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out + '"';
}

function encode(v: TreeValue, indent: string): string {
  const inner = indent + '\t';
  if (v instanceof Branch) {
    const items = v.items.filter((it): it is { key: string; value: TreeValue } => typeof it.key === 'string');
    if (items.length === 0) return '{}';
    return `{\n${items.map((it) => `${inner}${goJsonString(it.key)}: ${encode(it.value, inner)}`).join(',\n')}\n${indent}}`;
  }
  if (Array.isArray(v)) {
    const items = v.filter((x) => !(x instanceof Comment));
    if (items.length === 0) return '[]';
    return `[\n${items.map((x) => `${inner}${encode(x, inner)}`).join(',\n')}\n${indent}]`;
  }
  if (v instanceof Comment) return goJsonString(v.value);
  if (Buffer.isBuffer(v)) return `"${v.toString('base64')}"`;
  if (typeof v === 'string') return goJsonString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new SopsError('Malformed', 'a non-finite number cannot be written as JSON');
    return String(v);
  }
  return JSON.stringify(v);
}

export function emitJson(branches: Branch[]): Buffer {
  return Buffer.from(encode(branches[0] ?? new Branch(), '') + '\n', 'utf8');
}

export function emitBinary(branches: Branch[]): Buffer {
  if (branches.length !== 1) throw new SopsError('Malformed', 'binary output needs exactly one document');
  const data = (branches[0] as Branch).items.find((it) => it.key === 'data');
  if (data === undefined) throw new SopsError('Malformed', 'no binary data found in document');
  if (Buffer.isBuffer(data.value)) return data.value;
  if (typeof data.value === 'string') return Buffer.from(data.value, 'utf8');
  throw new SopsError('Malformed', "'data' key in document does not have a string value");
}
