// dotenv as SOPS's dotenv store reads and writes it: `#` comment lines, KEY=VALUE with `\n`
// escaped, metadata as flattened `sops_*` keys.
import { SopsError } from './errors.ts';
import { unflattenMetadata } from './metadata.ts';
import { Branch, Comment, type TreeItem } from './tree.ts';

export function loadDotenv(text: string): { branches: Branch[]; metadata: unknown } {
  const items: TreeItem[] = [];
  const flat: Record<string, string> = {};
  let hasSops = false;
  for (const [n, line] of text.split('\n').entries()) {
    if (line.length === 0) continue;
    if (line.startsWith('#')) {
      items.push({ key: new Comment(line.slice(1)), value: null });
      continue;
    }
    const pos = line.indexOf('=');
    if (pos === -1) throw new SopsError('Malformed', `invalid dotenv input line ${n + 1}`);
    const key = line.slice(0, pos);
    if (key.startsWith('sops_')) {
      hasSops = true;
      flat[key.slice('sops_'.length)] = line.slice(pos + 1);
      continue;
    }
    items.push({ key, value: line.slice(pos + 1).replaceAll('\\n', '\n') });
  }
  return { branches: [new Branch(items)], metadata: hasSops ? unflattenMetadata(flat) : undefined };
}

export function emitDotenv(branches: Branch[]): Buffer {
  let out = '';
  for (const item of (branches[0] ?? new Branch()).items) {
    if (item.key instanceof Comment) {
      out += `#${item.key.value}\n`;
      continue;
    }
    const v = item.value;
    if (typeof v !== 'string' && !Buffer.isBuffer(v)) throw new SopsError('Malformed', `cannot write the value of '${item.key}' to a dotenv file: not a string`);
    out += `${item.key}=${v.toString().replaceAll('\n', '\\n')}\n`;
  }
  return Buffer.from(out, 'utf8');
}
