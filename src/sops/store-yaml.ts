// YAML as SOPS's YAML store reads and writes it: one branch per document, comments as tree
// items where yaml.v3 would put them (head/line comments before the item they belong to), and
// output indented by 4 like `sops -d`.
import { Document, isAlias, isMap, isScalar, isSeq, parseAllDocuments, YAMLMap, YAMLSeq, type Node } from 'yaml';
import { SopsError } from './errors.ts';
import { Branch, Comment, type Scalar, type TreeItem, type TreeValue } from './tree.ts';

type YNode = Node | null | undefined;

function commentLines(c: string | null | undefined): Comment[] {
  if (!c) return [];
  return c.split('\n').filter((l) => l !== '').map((l) => new Comment(l));
}

function scalarValue(v: unknown): Scalar {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v) ?? '';
}

class Loader {
  readonly doc: Document;
  constructor(doc: Document) {
    this.doc = doc;
  }

  deref(n: YNode): YNode {
    return isAlias(n) ? (n.resolve(this.doc)) : n;
  }

  value(n: YNode): TreeValue {
    const node = this.deref(n);
    if (isMap(node)) return this.branch(node);
    if (isSeq(node)) return this.list(node);
    if (isScalar(node)) return scalarValue(node.value);
    return null;
  }

  list(seq: YAMLSeq): TreeValue[] {
    const out: TreeValue[] = [...commentLines(seq.commentBefore)];
    for (const raw of seq.items) {
      const item = this.deref(raw as YNode);
      out.push(...commentLines(item?.commentBefore));
      if (isScalar(item)) out.push(...commentLines(item.comment));
      out.push(this.value(item));
      if (!isScalar(item)) out.push(...commentLines(item?.comment));
    }
    return out;
  }

  branch(map: YAMLMap, lead: Comment[] = [], trail: Comment[] = []): Branch {
    const items: TreeItem[] = [...lead, ...commentLines(map.commentBefore)].map((c) => ({ key: c, value: null }));
    for (const pair of map.items) {
      const keyNode = this.deref(pair.key as YNode);
      const valueNode = this.deref(pair.value as YNode);
      const comments = [...commentLines(keyNode?.commentBefore), ...commentLines(keyNode?.comment)];
      const scalarLike = !isMap(valueNode) && !isSeq(valueNode);
      if (scalarLike) comments.push(...commentLines(valueNode?.commentBefore), ...commentLines(valueNode?.comment));
      for (const c of comments) items.push({ key: c, value: null });
      const key = isScalar(keyNode) ? keyNode.value : null;
      if (key !== null && typeof key === 'object') throw new SopsError('Malformed', 'YAML document has a non-scalar key');
      items.push({ key: String(key), value: this.value(valueNode) });
    }
    for (const c of [...commentLines(map.comment), ...trail]) items.push({ key: c, value: null });
    return new Branch(items);
  }
}

/** Parses every document; returns the branches and the first document's `sops` metadata. */
export function loadYaml(text: string): { branches: Branch[]; metadata: unknown } {
  const docs = parseAllDocuments(text, { uniqueKeys: false, merge: false });
  if (!Array.isArray(docs)) throw new SopsError('Malformed', 'YAML input could not be parsed');
  const branches: Branch[] = [];
  let metadata: unknown;
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0) throw new SopsError('Malformed', `YAML document ${i + 1} could not be parsed: ${doc.errors[0]?.code ?? 'error'}`);
    const contents = doc.contents as YNode;
    if (i === 0 && isMap(contents)) metadata = (contents.get('sops', false) as Node | undefined)?.toJSON();
    if (contents === null || (isScalar(contents) && contents.value === null)) {
      branches.push(new Branch(commentLines(doc.commentBefore).concat(commentLines(doc.comment)).map((c) => ({ key: c, value: null }))));
      continue;
    }
    if (isSeq(contents)) throw new SopsError('Malformed', 'YAML documents that are sequences are not supported');
    if (!isMap(contents)) throw new SopsError('Malformed', 'YAML documents that are values are not supported');
    const loader = new Loader(doc);
    const b = loader.branch(contents, commentLines(doc.commentBefore), commentLines(doc.comment));
    b.items = b.items.filter((it) => it.key !== 'sops');
    branches.push(b);
  }
  return { branches, metadata };
}

function headComment(comments: Comment[]): string | undefined {
  return comments.length > 0 ? comments.map((c) => c.value).join('\n') : undefined;
}

class Emitter {
  readonly doc: Document;
  constructor(doc: Document) {
    this.doc = doc;
  }

  node(v: TreeValue): Node {
    if (v instanceof Branch) return this.map(v).map;
    if (Array.isArray(v)) return this.seq(v);
    if (v instanceof Comment) return this.doc.createNode(v.value);
    if (Buffer.isBuffer(v)) return this.doc.createNode(new Uint8Array(v));
    return this.doc.createNode(v);
  }

  seq(list: TreeValue[]): YAMLSeq {
    const seq = new YAMLSeq();
    let pending: Comment[] = [];
    for (const v of list) {
      if (v instanceof Comment) {
        pending.push(v);
        continue;
      }
      const n = this.node(v);
      if (seq.items.length === 0) seq.commentBefore = headComment(pending);
      else n.commentBefore = headComment(pending);
      pending = [];
      seq.items.push(n);
    }
    if (pending.length > 0) seq.comment = headComment(pending);
    return seq;
  }

  /** Returns the map and, separately, comments that came before its first key. */
  map(branch: Branch): { map: YAMLMap; head?: string } {
    const map = new YAMLMap();
    let pending: Comment[] = [];
    let head: string | undefined;
    for (const item of branch.items) {
      if (item.key instanceof Comment) {
        pending.push(item.key);
        continue;
      }
      const key = this.doc.createNode(item.key);
      if (map.items.length === 0) head = headComment(pending);
      else key.commentBefore = headComment(pending);
      pending = [];
      map.items.push(this.doc.createPair(key, this.node(item.value)));
    }
    if (head !== undefined) map.commentBefore = head;
    if (pending.length > 0) map.comment = headComment(pending);
    return { map, head };
  }
}

export function emitYaml(branches: Branch[]): Buffer {
  const parts: string[] = [];
  for (const b of branches) {
    const doc = new Document();
    const { map, head } = new Emitter(doc).map(b);
    map.commentBefore = undefined;
    // On the first key rather than the document: the document's own comment gets a blank line after it.
    const first = map.items[0]?.key as Node | undefined;
    if (first) first.commentBefore = head;
    else doc.commentBefore = head ?? null;
    doc.contents = map;
    if (map.comment) {
      doc.comment = map.comment;
      map.comment = undefined;
    }
    parts.push(doc.toString({ indent: 4, indentSeq: true, lineWidth: 0, minContentWidth: 0 }));
  }
  return Buffer.from(parts.join('---\n'), 'utf8');
}
