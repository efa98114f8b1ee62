// The `sops` metadata of a document, read from its structured form (YAML/JSON) or from the
// flattened keys of dotenv and INI files (`age__list_0__map_enc`).
import { SopsError } from './errors.ts';
import type { CryptRules } from './tree.ts';

export interface AgeStanza { recipient: string; enc: string }
export interface PgpStanza { fp: string; enc: string }

export interface KeyGroup {
  age: AgeStanza[];
  pgp: PgpStanza[];
  /** Names of cloud KMS kinds present (kms, gcp_kms, azure_kv, hc_vault): eddy cannot use them. */
  kms: string[];
}

export interface SopsMetadata extends CryptRules {
  groups: KeyGroup[];
  shamirThreshold: number;
  lastModified: string;
  mac: string;
  macOnlyEncrypted: boolean;
  version: string;
}

const KMS_KINDS = ['kms', 'gcp_kms', 'azure_kv', 'hc_vault'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

function groupFrom(o: Obj): KeyGroup {
  return {
    age: list(o.age).map((k) => ({ recipient: str(k.recipient), enc: str(k.enc) })),
    pgp: list(o.pgp).map((k) => ({ fp: str(k.fp), enc: str(k.enc) })),
    kms: KMS_KINDS.filter((kind) => list(o[kind]).length > 0),
  };
}

/** Go's time.Parse + Format(time.RFC3339): drops fractional seconds and writes a zero offset as Z. */
export function normalizeRfc3339(s: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.exec(s.trim());
  if (!m) throw new SopsError('Malformed', 'sops metadata has an invalid lastmodified time');
  const [, base = '', zone = ''] = m;
  const z = zone.toUpperCase() === 'Z' || zone === '+00:00' || zone === '-00:00' ? 'Z' : zone;
  return `${base}${z}`;
}

export function parseMetadata(raw: unknown): SopsMetadata {
  if (!isObj(raw)) throw new SopsError('Malformed', 'document has no sops metadata');
  const groups = Array.isArray(raw.key_groups) && raw.key_groups.length > 0 ? list(raw.key_groups).map(groupFrom) : [groupFrom(raw)];
  if (groups.every((g) => g.age.length + g.pgp.length + g.kms.length === 0)) {
    throw new SopsError('Malformed', 'sops metadata lists no keys');
  }
  const rules = parseRules(raw);
  const threshold = Number(str(raw.shamir_threshold) || '0');
  return {
    ...rules,
    groups,
    shamirThreshold: Number.isInteger(threshold) ? threshold : 0,
    lastModified: normalizeRfc3339(str(raw.lastmodified)),
    mac: str(raw.mac),
    macOnlyEncrypted: raw.mac_only_encrypted === true || raw.mac_only_encrypted === 'true',
    version: str(raw.version),
  };
}

function parseRules(raw: Obj): CryptRules {
  const rules: CryptRules = {
    unencryptedSuffix: str(raw.unencrypted_suffix) || undefined,
    encryptedSuffix: str(raw.encrypted_suffix) || undefined,
    unencryptedRegex: str(raw.unencrypted_regex) || undefined,
    encryptedRegex: str(raw.encrypted_regex) || undefined,
    unencryptedCommentRegex: str(raw.unencrypted_comment_regex) || undefined,
    encryptedCommentRegex: str(raw.encrypted_comment_regex) || undefined,
  };
  const count = Object.values(rules).filter((v) => v !== undefined).length;
  if (count > 1) throw new SopsError('Malformed', 'sops metadata sets more than one of the encrypted/unencrypted suffix, regex and comment regex rules');
  if (count === 0) rules.unencryptedSuffix = '_unencrypted';
  try {
    for (const r of [rules.unencryptedRegex, rules.encryptedRegex, rules.unencryptedCommentRegex, rules.encryptedCommentRegex]) {
      if (r !== undefined) new RegExp(r);
    }
  } catch (err) {
    throw new SopsError('Malformed', 'sops metadata has a regular expression eddy cannot compile', { cause: err });
  }
  return rules;
}

/** Rebuilds the nested metadata from dotenv/INI's flattened keys (`__map_`, `__list_N`). */
export function unflattenMetadata(flat: Record<string, string>): Obj {
  const root: Obj = {};
  for (const [flatKey, rawValue] of Object.entries(flat)) {
    const tokens = flatKey.split(/(?=__map_|__list_)/).map((t) =>
      t.startsWith('__list_') ? Number(t.slice('__list_'.length)) : t.startsWith('__map_') ? t.slice('__map_'.length) : t,
    );
    if (tokens.some((t) => t === '__proto__' || t === 'constructor' || t === 'prototype')) continue;
    const value = rawValue.replaceAll('\\n', '\n');
    let cur: Obj | unknown[] = root;
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i] as string | number;
      const last = i === tokens.length - 1;
      const next = tokens[i + 1];
      const existing: unknown = Array.isArray(cur) ? cur[tok as number] : cur[tok as string];
      const child: unknown = last ? value : existing ?? (typeof next === 'number' ? [] : {});
      if (Array.isArray(cur)) cur[tok as number] = child;
      else cur[tok as string] = child;
      if (!last) cur = child as Obj | unknown[];
    }
  }
  return root;
}
