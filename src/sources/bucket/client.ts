// S3-compatible bucket client for the Bucket `generic` provider, on the `minio` package: list the
// objects, build the index and revision as source-controller does, and download the selected
// objects into a directory with a total size bound and safe paths.
import { http } from '../../runtime/node-http.ts';
import https from 'node:https';
import type { Agent, IncomingMessage } from 'node:http';
import type { BucketItem, Client } from 'minio';
import { BucketNotFound, TooLarge } from './errors.ts';
import { classifyError, scrubber, withDeadline } from './failures.ts';
import { ignoreRules, SOURCE_IGNORE_KEY } from './ignore-rules.ts';
import { compareKeys, indexRevision, trimEtag } from './index-digest.ts';
import { downloadObjects, type DownloadOptions, type DownloadResult, type ObjectFetcher } from './download.ts';
import { parseEndpoint } from './endpoint.ts';
import type { BucketIndex, BucketObject } from './types.ts';

export interface BucketConnection {
  /** `host[:port]` as in Bucket spec.endpoint (no scheme, like minio-go). */
  endpoint: string;
  bucketName: string;
  region?: string | undefined;
  /** Plain HTTP (spec.insecure). */
  insecure?: boolean | undefined;
  /** PEM CA bundle to trust for HTTPS (certSecretRef `ca.crt`). */
  ca?: string | undefined;
  accessKey?: string | undefined;
  secretKey?: string | undefined;
  /** Bound on each whole operation (spec.timeout); the connection is torn down when it fires. */
  timeoutMs: number;
}

export interface ListOptions {
  /** Server-side key prefix (spec.prefix). */
  prefix?: string | undefined;
  /** Refuse listings larger than this (TooLarge); default 100 000. */
  maxObjects?: number | undefined;
}

export interface FetchIndexOptions extends ListOptions {
  /** spec.ignore: gitignore patterns applied after the bucket's `.sourceignore`. */
  ignore?: string | undefined;
  /** Largest `.sourceignore` object accepted; default 1 MiB. */
  maxIgnoreBytes?: number | undefined;
}

export type { BucketIndex, BucketObject } from './types.ts';
export type { DownloadOptions, DownloadResult } from './download.ts';

const DEFAULT_MAX_OBJECTS = 100_000;
const DEFAULT_MAX_IGNORE_BYTES = 1024 * 1024;

export class BucketClient {
  private readonly conn: BucketConnection;
  private readonly scrub: (s: string) => string;
  private agent: Agent;
  /** minio is imported on first use: it costs ~40 MiB of RSS that clusters without Buckets never need. */
  private minio: Promise<Client>;

  constructor(conn: BucketConnection) {
    this.conn = conn;
    this.scrub = scrubber([conn.accessKey, conn.secretKey]);
    parseEndpoint(conn.endpoint);
    [this.agent, this.minio] = this.connect();
  }

  /** All objects under the prefix (directory placeholders left out), without ignore rules. */
  listObjects(opts: ListOptions = {}): Promise<BucketObject[]> {
    return this.run('list objects', async () => {
      await this.ensureBucket();
      return this.list(opts, () => false);
    });
  }

  /** The artifact's object selection and its revision: `.sourceignore` + spec.ignore applied. */
  fetchIndex(opts: FetchIndexOptions = {}): Promise<BucketIndex> {
    return this.run('index objects', async () => {
      await this.ensureBucket();
      const sourceIgnore = await this.readSmallObject(SOURCE_IGNORE_KEY, opts.maxIgnoreBytes ?? DEFAULT_MAX_IGNORE_BYTES);
      const rules = ignoreRules(sourceIgnore, opts.ignore);
      const objects = await this.list(opts, (key) => rules.ignores(key));
      return { objects, revision: indexRevision(new Map(objects.map((o) => [o.key, o.etag]))) };
    });
  }

  /**
   * Downloads the index's objects to `dest/<key>`. Like source-controller, an object that
   * vanished since the listing is dropped and a changed ETag updates the index, so the
   * returned revision describes exactly what was written.
   */
  download(index: BucketIndex, dest: string, opts: DownloadOptions): Promise<DownloadResult> {
    return this.run('download objects', () => downloadObjects(this.fetcher(), index, dest, opts));
  }

  /** Closes pooled connections. */
  close(): void {
    this.agent.destroy();
  }

  private connect(): [Agent, Promise<Client>] {
    const { host, port } = parseEndpoint(this.conn.endpoint);
    const secure = !this.conn.insecure;
    const agentOpts = { keepAlive: true, maxSockets: 16, timeout: this.conn.timeoutMs };
    const agent = secure ? new https.Agent({ ...agentOpts, ...(this.conn.ca ? { ca: this.conn.ca } : {}) }) : new http.Agent(agentOpts);
    const client = import('minio').then(({ Client: MinioClient }) => new MinioClient({
      endPoint: host,
      ...(port !== undefined ? { port } : {}),
      useSSL: secure,
      accessKey: this.conn.accessKey ?? '',
      secretKey: this.conn.secretKey ?? '',
      ...(this.conn.region ? { region: this.conn.region } : {}),
      transportAgent: agent,
      // Retries belong to the controller's requeue, not inside one reconcile's deadline.
      retryOptions: { disableRetry: true },
    }));
    return [agent, client];
  }

  /** Runs one operation under the deadline; on expiry the sockets are destroyed and rebuilt. */
  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await withDeadline(op(), this.conn.timeoutMs, `${what} in bucket '${this.conn.bucketName}'`, () => {
        this.agent.destroy();
        [this.agent, this.minio] = this.connect();
      });
    } catch (err) {
      throw classifyError(err, `${what} in bucket '${this.conn.bucketName}' at ${this.conn.endpoint}`, this.scrub);
    }
  }

  private async ensureBucket(): Promise<void> {
    if (!(await (await this.minio).bucketExists(this.conn.bucketName))) throw new BucketNotFound(this.conn.bucketName);
  }

  private async list(opts: ListOptions, skip: (key: string) => boolean): Promise<BucketObject[]> {
    const max = opts.maxObjects ?? DEFAULT_MAX_OBJECTS;
    const out: BucketObject[] = [];
    const items = (await this.minio).listObjectsV2(this.conn.bucketName, opts.prefix ?? '', true) as AsyncIterable<BucketItem>;
    for await (const item of items) {
      if (item.name === undefined || item.name.endsWith('/') || skip(item.name)) continue;
      if (out.length >= max) throw new TooLarge(`bucket '${this.conn.bucketName}' lists more than ${max} objects`);
      out.push({ key: item.name, etag: trimEtag(item.etag), size: item.size });
    }
    return out.sort((a, b) => compareKeys(a.key, b.key));
  }

  /** The object's text, or undefined when it does not exist. */
  private async readSmallObject(key: string, maxBytes: number): Promise<string | undefined> {
    let stream;
    try {
      stream = await (await this.minio).getObject(this.conn.bucketName, key);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'NoSuchKey') return undefined;
      throw err;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        stream.destroy();
        throw new TooLarge(`object '${key}' is larger than ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private fetcher(): ObjectFetcher {
    return async (key) => {
      try {
        const res = (await (await this.minio).getObject(this.conn.bucketName, key)) as IncomingMessage;
        const etag = res.headers.etag;
        return { body: res, etag: typeof etag === 'string' ? trimEtag(etag) : undefined };
      } catch (err) {
        if ((err as { code?: unknown }).code === 'NoSuchKey') return undefined;
        throw err;
      }
    };
  }
}

/** One-shot listing: opens a client, lists the objects under the prefix, closes it. */
export async function listObjects(opts: BucketConnection & ListOptions): Promise<BucketObject[]> {
  const client = new BucketClient(opts);
  try {
    return await client.listObjects(opts);
  } finally {
    client.close();
  }
}

/** One-shot index: objects selected by `.sourceignore` and `ignore`, with Flux's revision. */
export async function fetchIndex(opts: BucketConnection & FetchIndexOptions): Promise<BucketIndex> {
  const client = new BucketClient(opts);
  try {
    return await client.fetchIndex(opts);
  } finally {
    client.close();
  }
}
