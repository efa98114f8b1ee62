import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyGitError } from './git-command.ts';
import { basicToken, scrub } from './scrub.ts';

void test('known secrets, URL userinfo and Authorization headers are masked', () => {
  const token = basicToken('bot', 's3cr3t-pass');
  const text = [
    "fatal: unable to access 'https://bot:s3cr3t-pass@git.example.com/a.git/': 401",
    `remote: got Authorization: Basic ${token}`,
    'header authorization: Bearer ghp_abcdef123456',
    'plain s3cr3t-pass here',
    'ssh://git@host/x.git and https://tok123@host/y',
  ].join('\n');
  const out = scrub(text, ['s3cr3t-pass', token, 'ghp_abcdef123456']);
  for (const leaked of ['s3cr3t', token, 'ghp_abcdef123456', 'bot:', 'tok123']) assert.ok(!out.includes(leaked), `${leaked} in ${out}`);
  assert.match(out, /Authorization: Basic \*\*\*/);
  assert.match(out, /https:\/\/\*\*\*@git\.example\.com/);
});

void test('short values are not masked (they would garble ordinary text)', () => {
  assert.equal(scrub('a b c', ['a', '']), 'a b c');
});

void test('git stderr is classified', () => {
  const cases: Array<[string, string]> = [
    ["fatal: could not read Username for 'https://h': terminal prompts disabled", 'AuthenticationFailed'],
    ['fatal: Authentication failed for \'https://h/r.git/\'', 'AuthenticationFailed'],
    ['git@h: Permission denied (publickey).', 'AuthenticationFailed'],
    ["fatal: unable to access 'http://h/r.git/': The requested URL returned error: 407", 'ProxyAuthenticationFailed'],
    ["fatal: unable to access 'https://h/r.git/': CONNECT tunnel failed, response 407", 'ProxyAuthenticationFailed'],
    ["fatal: unable to access 'https://h/r.git/': Received HTTP code 407 from proxy after CONNECT", 'ProxyAuthenticationFailed'],
    ['Host key verification failed.', 'HostKeyVerificationFailed'],
    ['fatal: unable to access: SSL certificate problem: unable to get local issuer certificate', 'TlsVerificationFailed'],
    ['fatal: unable to access: Failed to connect to 127.0.0.1 port 1: Connection refused', 'Unreachable'],
    ['ssh: connect to host 127.0.0.1 port 1: Connection refused', 'Unreachable'],
    ['fatal: Could not resolve host: nowhere.invalid', 'Unreachable'],
    ["fatal: repository 'http://h/x.git/' not found", 'RepositoryNotFound'],
    ["fatal: couldn't find remote ref refs/heads/x", 'RefNotFound'],
    ['error: Server does not allow request for unadvertised object abc', 'RefNotFound'],
    ['fatal: something else', 'GitCommandFailed'],
  ];
  for (const [stderr, reason] of cases) assert.equal(classifyGitError(stderr), reason, stderr);
});
