// What the Kustomization controller calls on each built object, as Flux's DecryptResource does:
// an object with a top-level `sops` key is decrypted as a whole (through JSON); a Secret's
// `data` values that are themselves SOPS files (from a secretGenerator) are decrypted one by one,
// written in the format of their key's extension.
import type { KubeObject } from '../kube/types.ts';
import { decryptWithFormat, formatFromPath, isSopsEncrypted, type SopsFormat } from './decrypt.ts';
import { SopsError } from './errors.ts';
import type { SopsKeys } from './keys.ts';

const DECRYPT_ANNOTATION = 'kustomize.toolkit.fluxcd.io/decrypt';

// Flux's sopsFormatToMarkerBytes: how a data value is recognised as an encrypted file.
const MARKERS: Array<[SopsFormat, string]> = [
  ['dotenv', 'sops_mac=ENC['],
  ['ini', '[sops]'],
  ['json', '"mac": "ENC['],
  ['yaml', 'mac: ENC['],
];

export function detectFormatFromMarkers(data: Buffer): SopsFormat | undefined {
  return MARKERS.find(([, m]) => data.includes(m))?.[0];
}

export interface KubeDecryptOptions {
  /**
   * Flux does not check the MAC of built resources: kustomize rewrites them (namespace, labels,
   * name prefixes) so the MAC of what was encrypted would rarely match. Off by default.
   */
  verifyMac?: boolean;
}

function where(obj: KubeObject): string {
  return `'${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}' ${obj.kind}`;
}

async function decryptWhole(obj: KubeObject, keys: SopsKeys, verifyMac: boolean): Promise<KubeObject> {
  try {
    const out = await decryptWithFormat(JSON.stringify(obj), 'json', 'json', keys, { verifyMac });
    return JSON.parse(out.toString('utf8')) as KubeObject;
  } catch (err) {
    const reason = err instanceof SopsError ? err.reason : 'Malformed';
    throw new SopsError(reason, `failed to decrypt ${where(obj)}: ${err instanceof Error ? err.message : 'error'}`, { cause: err });
  }
}

async function decryptSecretData(obj: KubeObject, keys: SopsKeys, verifyMac: boolean): Promise<KubeObject | undefined> {
  const data = obj.data;
  if (typeof data !== 'object' || data === null) return undefined;
  const out: Record<string, string> = { ...(data as Record<string, string>) };
  let changed = false;
  for (const [key, value] of Object.entries(out)) {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) continue; // left for the build to report
    const raw = Buffer.from(value, 'base64');
    const inFormat = detectFormatFromMarkers(raw);
    if (inFormat === undefined) continue;
    try {
      out[key] = (await decryptWithFormat(raw, inFormat, formatFromPath(key), keys, { verifyMac })).toString('base64');
      changed = true;
    } catch (err) {
      const reason = err instanceof SopsError ? err.reason : 'Malformed';
      throw new SopsError(reason, `failed to decrypt and format ${where(obj)} field '${key}': ${err instanceof Error ? err.message : 'error'}`, { cause: err });
    }
  }
  return changed ? { ...obj, data: out } : undefined;
}

/** The decrypted object, or undefined when there was nothing to decrypt. */
export async function decryptKubeObject(obj: KubeObject, keys: SopsKeys, opts: KubeDecryptOptions = {}): Promise<KubeObject | undefined> {
  const annotation = obj.metadata?.annotations?.[DECRYPT_ANNOTATION];
  if (annotation !== undefined && annotation.toLowerCase() === 'disabled') return undefined;
  const verifyMac = opts.verifyMac ?? false;
  if (isSopsEncrypted(obj)) return decryptWhole(obj, keys, verifyMac);
  if (obj.kind === 'Secret') return decryptSecretData(obj, keys, verifyMac);
  return undefined;
}
