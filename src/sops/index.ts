export { SopsError, type SopsErrorReason } from './errors.ts';
export { keysFromSecretData, type SopsKeys } from './keys.ts';
export { decryptDocument, decryptWithFormat, formatFromPath, isSopsEncrypted, type DecryptOptions, type SopsFormat } from './decrypt.ts';
export { decryptKubeObject } from './kube.ts';
export { decryptSources } from './sources.ts';
