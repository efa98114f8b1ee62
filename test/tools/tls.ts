// A throwaway CA plus a server certificate for 127.0.0.1/localhost (and optionally a client
// certificate for mTLS), made with the openssl CLI because node:crypto cannot sign X.509.
import fs from 'node:fs/promises';
import path from 'node:path';
import { run } from './exec.ts';

export interface CertFiles {
  /** PEM text. */
  cert: string;
  key: string;
  certPath: string;
  keyPath: string;
}

export interface TestTls {
  dir: string;
  ca: { cert: string; certPath: string; keyPath: string };
  server: CertFiles;
  /** Signed by the same CA, extendedKeyUsage clientAuth. */
  client: CertFiles;
}

export interface CreateTlsOptions {
  /** Existing directory where the PEM files are written. */
  dir: string;
  /** Subject alternative names of the server cert; IPs and DNS names. Default 127.0.0.1, ::1, localhost. */
  hosts?: readonly string[];
}

const DAYS = '2';

export async function createTestTls(options: CreateTlsOptions): Promise<TestTls> {
  const dir = options.dir;
  const hosts = options.hosts ?? ['127.0.0.1', '::1', 'localhost'];
  const p = (name: string): string => path.join(dir, name);
  await openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', DAYS, '-subj', '/CN=eddy test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const sans = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  const server = await issue(dir, 'server', hosts[0] ?? 'localhost', [
    `subjectAltName=${sans}`,
    'extendedKeyUsage=serverAuth',
  ]);
  const client = await issue(dir, 'client', 'eddy-test-client', ['extendedKeyUsage=clientAuth']);
  return {
    dir,
    ca: { cert: await fs.readFile(p('ca.crt'), 'utf8'), certPath: p('ca.crt'), keyPath: p('ca.key') },
    server,
    client,
  };
}

async function issue(dir: string, name: string, commonName: string, extensions: string[]): Promise<CertFiles> {
  const p = (file: string): string => path.join(dir, file);
  const extFile = p(`${name}.ext`);
  await fs.writeFile(extFile, ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', ...extensions].join('\n') + '\n');
  await openssl([
    'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${commonName}`,
  ]);
  await openssl([
    'x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-out', p(`${name}.crt`), '-days', DAYS, '-extfile', extFile,
  ]);
  return {
    cert: await fs.readFile(p(`${name}.crt`), 'utf8'),
    key: await fs.readFile(p(`${name}.key`), 'utf8'),
    certPath: p(`${name}.crt`),
    keyPath: p(`${name}.key`),
  };
}

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args);
}
