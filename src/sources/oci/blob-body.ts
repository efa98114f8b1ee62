// A blob's body read with the checks every byte handed out must pass: the size limit and the
// descriptor's size as it streams, the sha256 digest at its end. The end of the body is only
// reported once the digest matched, so a consumer that sees the end has seen the blob.
import { createHash } from 'node:crypto';
import { OciError } from './errors.ts';
import { discard, transportError } from './http.ts';
import type { Response } from './http.ts';

export interface BlobLimits {
  maxBytes: number;
  /** The descriptor's size: any other length is a mismatch. */
  expectedSize?: number | undefined;
}

export class CheckedBlobBody {
  readonly #res: Response;
  readonly #source: AsyncIterator<Buffer, unknown>;
  readonly #what: string;
  readonly #digest: string;
  readonly #limits: BlobLimits;
  readonly #hash = createHash('sha256');
  #size = 0;
  #ended = false;
  #failure: OciError | undefined;
  /** Reads run one at a time: a consumer's read still in flight and a drain must not interleave. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(res: Response, what: string, digest: string, limits: BlobLimits) {
    this.#res = res;
    this.#source = (res.body as AsyncIterable<Buffer, unknown>)[Symbol.asyncIterator]();
    this.#what = what;
    this.#digest = digest;
    this.#limits = limits;
  }

  /** Bytes read so far (the blob's size once it ended). */
  get size(): number {
    return this.#size;
  }

  /** The next chunk; undefined at the end, once size and digest matched. Throws an OciError. */
  next(): Promise<Buffer | undefined> {
    const read = this.#queue.then(() => this.#read());
    this.#queue = read.catch(() => undefined);
    return read;
  }

  /**
   * The chunks for a consumer. Stopping early leaves the rest unread (see drain); no return()
   * so that a consumer's for-await or stream teardown cannot close the body under a drain.
   */
  chunks(): AsyncIterable<Buffer> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<Buffer, undefined>> => {
          const chunk = await this.next();
          return chunk === undefined ? { done: true, value: undefined } : { done: false, value: chunk };
        },
      }),
    };
  }

  /** Reads (and checks) whatever is left: whatever a consumer did not read must still be the blob. */
  async drain(): Promise<void> {
    while ((await this.next()) !== undefined);
  }

  /**
   * After a consumer failed: the blob's own failure (cut, too long, another digest) if it has one,
   * found by reading the rest as a download to a file would have; undefined when the blob is sound.
   */
  async failure(): Promise<OciError | undefined> {
    try {
      await this.drain();
      return undefined;
    } catch (err) {
      return err as OciError;
    }
  }

  async #read(): Promise<Buffer | undefined> {
    if (this.#failure) throw this.#failure;
    if (this.#ended) return undefined;
    try {
      const { done, value } = await this.#source.next();
      if (done === true) {
        this.#verify();
        this.#ended = true;
        return undefined;
      }
      this.#count(value);
      return value;
    } catch (err) {
      discard(this.#res);
      this.#failure = transportError(err, this.#what);
      throw this.#failure;
    }
  }

  #count(chunk: Buffer): void {
    const { maxBytes, expectedSize } = this.#limits;
    this.#size += chunk.length;
    if (this.#size > maxBytes) throw new OciError('TooLarge', `${this.#what}: more than the limit of ${maxBytes} bytes`);
    if (expectedSize !== undefined && this.#size > expectedSize) throw new OciError('DigestMismatch', `${this.#what}: longer than the descriptor's ${expectedSize} bytes`);
    this.#hash.update(chunk);
  }

  #verify(): void {
    const actual = `sha256:${this.#hash.digest('hex')}`;
    if (actual !== this.#digest) throw new OciError('DigestMismatch', `${this.#what}: content has digest ${actual}`);
    const { expectedSize } = this.#limits;
    if (expectedSize !== undefined && this.#size !== expectedSize) {
      throw new OciError('DigestMismatch', `${this.#what}: ${this.#size} bytes, the descriptor says ${expectedSize}`);
    }
  }
}
