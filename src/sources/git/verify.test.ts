import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { generateTestKey, signedCommit, signedTag, unsignedCommit, withSignatureHeader, detachedSignature } from '../../../test/sources/git/pgp-signing.ts';
import type { TestKey } from '../../../test/sources/git/pgp-signing.ts';
import { parseCommitObject } from './commit-object.ts';
import { SignatureError } from './errors.ts';
import { loadVerificationKeys, verifyCommitSignature, verifySource, verifyTagSignature } from './verify.ts';

const TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const PARENT = 'a'.repeat(40);
let trusted: TestKey;
let stranger: TestKey;

before(async () => {
  [trusted, stranger] = await Promise.all([generateTestKey('trusted'), generateTestKey('stranger')]);
});

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SignatureError, String(err));
    return err.reason;
  }
  assert.fail('did not throw');
}

void test('a commit signed by a trusted key verifies and names the key', async () => {
  const keys = await loadVerificationKeys({ 'a.asc': stranger.armoredPublicKey, 'b.asc': Buffer.from(trusted.armoredPublicKey) });
  const commit = Buffer.from(await signedCommit(TREE, [PARENT], 'signed\n\nbody\n', trusted));
  const parsed = parseCommitObject(commit);
  assert.equal(parsed.payload.toString(), unsignedCommit(TREE, [PARENT], 'signed\n\nbody\n'));
  assert.equal(parsed.message, 'signed\n\nbody\n');
  const verified = await verifyCommitSignature(commit, keys);
  assert.equal(verified.keyId, trusted.keyId);
  assert.equal(verified.fingerprint, trusted.fingerprint);
});

void test('unsigned, unknown signer and tampered commits fail with their reason', async () => {
  const keys = await loadVerificationKeys({ 'trusted.asc': trusted.armoredPublicKey });
  assert.equal(await reason(verifyCommitSignature(Buffer.from(unsignedCommit(TREE, [], 'x\n')), keys)), 'NoSignature');
  assert.equal(await reason(verifyCommitSignature(Buffer.from(await signedCommit(TREE, [], 'x\n', stranger)), keys)), 'UnknownKey');
  const other = await detachedSignature(unsignedCommit(TREE, [], 'original\n'), trusted);
  const tampered = withSignatureHeader(unsignedCommit(TREE, [], 'changed\n'), other);
  assert.equal(await reason(verifyCommitSignature(Buffer.from(tampered), keys)), 'InvalidSignature');
  assert.equal(await reason(loadVerificationKeys({ 'bad.asc': 'not a key' })), 'InvalidKeys');
  assert.equal(await reason(loadVerificationKeys({})), 'InvalidKeys');
});

void test('tags: signature after the message; modes Tag, TagAndHEAD, HEAD', async () => {
  const keys = await loadVerificationKeys({ 'trusted.asc': trusted.armoredPublicKey });
  const tag = Buffer.from(await signedTag(PARENT, 'v1.0.0', 'release\n', trusted));
  assert.equal((await verifyTagSignature(tag, keys)).keyId, trusted.keyId);
  const signedHead = Buffer.from(await signedCommit(TREE, [], 'x\n', trusted));
  const unsignedHead = Buffer.from(unsignedCommit(TREE, [], 'x\n'));
  const both = await verifySource({ commit: PARENT, commitObject: signedHead, tagName: 'v1.0.0', tagObject: tag }, 'TagAndHEAD', keys);
  assert.equal(both.message, `verified signature of\n\t- tag 'v1.0.0' with key '${trusted.keyId}'\n\t- commit '${PARENT}' with key '${trusted.keyId}'`);
  assert.ok((await verifySource({ commit: PARENT, commitObject: unsignedHead, tagObject: tag }, 'Tag', keys)).tag);
  assert.equal(await reason(verifySource({ commit: PARENT, commitObject: unsignedHead, tagObject: tag }, 'TagAndHEAD', keys)), 'NoSignature');
  assert.equal(await reason(verifySource({ commit: PARENT, commitObject: signedHead }, 'Tag', keys)), 'NoTagReference');
  const unsignedTag = Buffer.from(await signedTag(PARENT, 'v1.0.0', 'release\n', undefined));
  assert.equal(await reason(verifyTagSignature(unsignedTag, keys)), 'NoSignature');
  assert.equal((await verifySource({ commit: PARENT, commitObject: signedHead }, 'head', keys)).commit?.keyId, trusted.keyId);
});
