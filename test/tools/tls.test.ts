import assert from 'node:assert/strict';
import https from 'node:https';
import { after, test } from 'node:test';
import { createTestTls } from './tls.ts';
import { makeTempDir } from './tmp.ts';

void test('server cert for 127.0.0.1 verifies against the CA, and a foreign CA is refused', async () => {
  const tmp = await makeTempDir();
  after(() => tmp.remove());
  const tls = await createTestTls({ dir: tmp.path });
  const server = https.createServer({ cert: tls.server.cert, key: tls.server.key }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as { port: number }).port;
  const get = (ca: string, servername?: string): Promise<string> =>
    new Promise((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port, ca, servername, agent: false }, (res) => {
          res.setEncoding('utf8');
          let body = '';
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
  assert.equal(await get(tls.ca.cert), 'ok');
  assert.equal(await get(tls.ca.cert, 'localhost'), 'ok');
  const other = await makeTempDir();
  after(() => other.remove());
  const foreign = await createTestTls({ dir: other.path });
  await assert.rejects(get(foreign.ca.cert), /self[- ]signed|unable to verify|certificate/i);
});
