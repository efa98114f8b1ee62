// An S3-compatible server for tests: moto's server (PyPI, installed into
// <repo>/.eddy/tools/moto-venv by scripts/setup-test-deps.sh) on a free loopback port,
// optionally TLS and optionally enforcing SigV4 signatures of a generated access key.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../tools/k8s-binaries.ts';
import { canConnect, freePort } from '../tools/ports.ts';
import { startProcess } from '../tools/process.ts';
import { createBucket, listObjects, putObject, s3Request, tag } from '../tools/s3-client.ts';
import type { S3Access, S3Object } from '../tools/s3-client.ts';
import type { AwsCredentials } from '../tools/sigv4.ts';
import { createTestTls } from '../tools/tls.ts';
import type { TestTls } from '../tools/tls.ts';
import { makeTempDir } from '../tools/tmp.ts';

export const MOTO_PYTHON = path.join(REPO_ROOT, '.eddy', 'tools', 'moto-venv', 'bin', 'python');

export class MotoMissingError extends Error {
  constructor() {
    super(`moto is not installed at ${MOTO_PYTHON}; run scripts/setup-test-deps.sh`);
    this.name = 'MotoMissingError';
  }
}

export interface S3ServerOptions {
  /**
   * Enforce authentication: the server then only accepts requests signed with the generated
   * `credentials` (moto checks the SigV4 signature against its IAM users). Without it any
   * access key is accepted.
   */
  enforceAuth?: boolean;
  tls?: boolean | TestTls;
  region?: string;
}

export interface S3Server {
  /** http(s)://127.0.0.1:PORT, path-style. */
  endpoint: string;
  region: string;
  credentials: AwsCredentials;
  tls: TestTls | undefined;
  /** Everything the s3-client helpers need. */
  access: S3Access;
  logFile: string;
  createBucket(bucket: string): Promise<void>;
  /** Returns the ETag. */
  putObject(bucket: string, key: string, body: string | Buffer, contentType?: string): Promise<string>;
  listObjects(bucket: string, prefix?: string): Promise<S3Object[]>;
  stop(): Promise<void>;
}

export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  if (!fs.existsSync(MOTO_PYTHON)) throw new MotoMissingError();
  // On a failed start the temp dir stays, with the moto log that the error names.
  const tmp = await makeTempDir('eddy-s3-');
  const tls = options.tls === true ? await createTestTls({ dir: tmp.path }) : options.tls || undefined;
  const port = await freePort();
  const args = ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)];
  if (tls) args.push('--ssl-cert', tls.server.certPath, '--ssl-key', tls.server.keyPath);
  const logFile = path.join(tmp.path, 'moto.log');
  // With auth enforced, the first IAM_SETUP_ACTIONS requests (creating the user) go unchecked.
  const env: Record<string, string> = { PYTHONUNBUFFERED: '1', AWS_DEFAULT_REGION: options.region ?? 'us-east-1' };
  if (options.enforceAuth) env.INITIAL_NO_AUTH_ACTION_COUNT = String(IAM_SETUP_ACTIONS);
  const proc = await startProcess({
    name: 'moto server',
    command: MOTO_PYTHON,
    args,
    logFile,
    env,
    cwd: tmp.path,
    ready: () => canConnect(port),
  });
  const endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const region = options.region ?? 'us-east-1';
  let access: S3Access = { endpoint, region, credentials: { accessKeyId: 'eddytest', secretAccessKey: 'eddytestsecret' }, ca: tls?.ca.cert };
  try {
    if (options.enforceAuth) access = { ...access, credentials: await createIamUser(access) };
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    endpoint,
    region,
    credentials: access.credentials,
    tls,
    access,
    logFile,
    createBucket: (bucket) => createBucket(access, bucket),
    putObject: (bucket, key, body, contentType) => putObject(access, bucket, key, body, contentType),
    listObjects: (bucket, prefix) => listObjects(access, bucket, prefix),
    async stop() {
      await proc.stop();
      await tmp.remove();
    },
  };
}

const IAM_SETUP_ACTIONS = 3;

/** Creates an IAM user allowed s3:* and returns its access key (IAM_SETUP_ACTIONS requests). */
async function createIamUser(access: S3Access): Promise<AwsCredentials> {
  const iam = async (params: Record<string, string>): Promise<string> => {
    const body = new URLSearchParams({ ...params, Version: '2010-05-08' }).toString();
    const res = await s3Request({ ...access, region: 'us-east-1' }, 'POST', '', {
      service: 'iam',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    });
    if (res.status !== 200) throw new Error(`moto IAM ${params.Action ?? ''}: HTTP ${res.status}: ${res.text()}`);
    return res.text();
  };
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] });
  await iam({ Action: 'CreateUser', UserName: 'eddy' });
  const key = await iam({ Action: 'CreateAccessKey', UserName: 'eddy' });
  await iam({ Action: 'PutUserPolicy', UserName: 'eddy', PolicyName: 's3-all', PolicyDocument: policy });
  return { accessKeyId: tag(key, 'AccessKeyId'), secretAccessKey: tag(key, 'SecretAccessKey') };
}
