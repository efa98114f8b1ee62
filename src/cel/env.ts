// The CEL environment Flux's expressions run in: the standard library plus the strings, sets
// and encoders extensions (cel-go ext.Strings, ext.Sets, ext.Encoders). @bufbuild/cel ships
// strings; sets and base64 are defined here.
import { CelScalar, celEnv, celFunc, isCelList, isCelMap, isCelUint, listType, type CelEnv, type CelList, type CelMap, type CelValue } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';

const DYN_LIST = listType(CelScalar.DYN);

const isNumber = (v: CelValue): v is number | bigint => typeof v === 'bigint' || typeof v === 'number';

function listsEqual(a: CelList, b: CelList): boolean {
  if (a.size !== b.size) return false;
  for (let i = 0; i < a.size; i++) if (!celEqual(a.get(i) as CelValue, b.get(i) as CelValue)) return false;
  return true;
}

function mapsEqual(a: CelMap, b: CelMap): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.has(k) || !celEqual(v, b.get(k) as CelValue)) return false;
  return true;
}

/** CEL equality for the values found in JSON objects: numbers compare across int/double. */
function celEqual(a: CelValue, b: CelValue): boolean {
  if (isNumber(a) && isNumber(b)) return Number(a) === Number(b);
  if (isCelUint(a) && isCelUint(b)) return a.value === b.value;
  if (isCelList(a) && isCelList(b)) return listsEqual(a, b);
  if (isCelMap(a) && isCelMap(b)) return mapsEqual(a, b);
  return a === b;
}

const includes = (list: CelList, v: CelValue) => [...list].some((x) => celEqual(x, v));

function setFuncs() {
  return [
    celFunc('sets.contains', [DYN_LIST, DYN_LIST], CelScalar.BOOL, (a, b) => [...b].every((v) => includes(a, v))),
    celFunc('sets.equivalent', [DYN_LIST, DYN_LIST], CelScalar.BOOL, (a, b) => [...b].every((v) => includes(a, v)) && [...a].every((v) => includes(b, v))),
    celFunc('sets.intersects', [DYN_LIST, DYN_LIST], CelScalar.BOOL, (a, b) => [...b].some((v) => includes(a, v))),
  ];
}

function encoderFuncs() {
  return [
    celFunc('base64.encode', [CelScalar.BYTES], CelScalar.STRING, (b) => Buffer.from(b).toString('base64')),
    celFunc('base64.decode', [CelScalar.STRING], CelScalar.BYTES, (s) => {
      // cel-go accepts both padded and unpadded input and fails on anything else.
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new Error('illegal base64 data');
      return new Uint8Array(Buffer.from(s, 'base64'));
    }),
  ];
}

/** A fresh environment (environments are cheap; one per compiled expression set). */
export function fluxCelEnv(): CelEnv {
  return celEnv({ funcs: [...strings, ...setFuncs(), ...encoderFuncs()] });
}
