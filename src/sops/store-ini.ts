// INI as SOPS's INI store (go-ini underneath) reads and writes it: one branch of sections, each
// a branch of keys; a comment above a section or key is kept once, without its `;`/`#` marker;
// output aligns `=` within a section like go-ini's pretty format.
import { SopsError } from './errors.ts';
import { unflattenMetadata } from './metadata.ts';
import { Branch, Comment, formatFloatF, type TreeItem, type TreeValue } from './tree.ts';

interface Section {
  name: string;
  comment: string;
  keys: Array<{ key: string; value: string; comment: string }>;
}

/** SOPS strips the comment marker and following spaces once, at the start. */
function stripCommentChar(c: string): string {
  if (c.startsWith(';')) return c.replace(/^[; ]+/, '');
  if (c.startsWith('#')) return c.replace(/^[# ]+/, '');
  return c;
}

function unquote(v: string): string {
  for (const q of ['"""', '`', '"', "'"]) {
    if (v.length >= 2 * q.length && v.startsWith(q) && v.endsWith(q)) return v.slice(q.length, -q.length);
  }
  // go-ini treats ` ;` / ` #` as the start of an inline comment.
  const m = /\s[;#]/.exec(v);
  return m ? v.slice(0, m.index).trimEnd() : v;
}

function parseSections(text: string): Section[] {
  const sections: Section[] = [{ name: 'DEFAULT', comment: '', keys: [] }];
  let pending: string[] = [];
  for (const [n, rawLine] of text.split(/\r?\n/).entries()) {
    const line = rawLine.trim();
    if (line === '') continue;
    if (line.startsWith(';') || line.startsWith('#')) {
      pending.push(line);
      continue;
    }
    const current = sections[sections.length - 1] as Section;
    if (line.startsWith('[')) {
      const end = line.indexOf(']');
      if (end === -1) throw new SopsError('Malformed', `INI line ${n + 1}: unclosed section header`);
      sections.push({ name: line.slice(1, end).trim(), comment: pending.join('\n'), keys: [] });
      pending = [];
      continue;
    }
    const m = /[=:]/.exec(line);
    const key = (m ? line.slice(0, m.index) : line).trim();
    const value = m ? unquote(line.slice(m.index + 1).trim()) : '';
    current.keys.push({ key, value, comment: pending.join('\n') });
    pending = [];
  }
  return sections;
}

export function loadIni(text: string): { branches: Branch[]; metadata: unknown } {
  const items: TreeItem[] = [];
  let metadata: unknown;
  for (const s of parseSections(text)) {
    if (s.name === 'sops') {
      metadata = unflattenMetadata(Object.fromEntries(s.keys.map((k) => [k.key, k.value])));
      continue;
    }
    if (s.name === 'DEFAULT' && s.keys.length === 0 && s.comment === '') continue;
    const sectionItems: TreeItem[] = [];
    if (s.comment !== '') sectionItems.push({ key: new Comment(stripCommentChar(s.comment)), value: null });
    for (const k of s.keys) {
      // go-ini keeps the comment above a key; SOPS's tree holds it as the item after the key.
      sectionItems.push({ key: k.key, value: k.value });
      if (k.comment !== '') sectionItems.push({ key: new Comment(stripCommentChar(k.comment)), value: null });
    }
    items.push({ key: s.name, value: new Branch(sectionItems) });
  }
  return { branches: [new Branch(items)], metadata };
}

function valToString(v: TreeValue): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatFloatF(Number(v.toFixed(6)));
  if (typeof v === 'boolean') return String(v);
  if (v === null) return '';
  throw new SopsError('Malformed', 'INI values must be scalars');
}

function writeComment(c: string): string {
  return c.split('\n').map((l) => (l.startsWith(';') || l.startsWith('#') ? l : `; ${l}`)).join('\n') + '\n';
}

function quoteValue(v: string): string {
  if (v.includes('\n')) return `"""${v}"""`;
  if (/[;#]/.test(v) || v !== v.trim() || v.includes('`')) return '`' + v + '`';
  return v;
}

export function emitIni(branches: Branch[]): Buffer {
  const blocks: string[] = [];
  for (const item of (branches[0] ?? new Branch()).items) {
    if (item.key instanceof Comment) continue;
    if (!(item.value instanceof Branch)) throw new SopsError('Malformed', 'INI sections must be maps');
    let sectionComment = '';
    const keys: Array<{ key: string; value: string; comment: string }> = [];
    item.value.items.forEach((kv, i) => {
      if (kv.key instanceof Comment) {
        if (i === 0) sectionComment = kv.key.value;
        else if (keys.length > 0) (keys[keys.length - 1] as { comment: string }).comment = kv.key.value;
        return;
      }
      keys.push({ key: kv.key, value: valToString(kv.value), comment: '' });
    });
    const width = Math.max(0, ...keys.map((k) => k.key.length));
    let out = sectionComment !== '' ? writeComment(sectionComment) : '';
    if (item.key !== 'DEFAULT') out += `[${item.key}]\n`;
    for (const k of keys) {
      if (k.comment !== '') out += writeComment(k.comment);
      out += `${k.key.padEnd(width)} = ${quoteValue(k.value)}\n`;
    }
    blocks.push(out);
  }
  return Buffer.from(blocks.join('\n'), 'utf8');
}
