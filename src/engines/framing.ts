// The engine's wire format: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.

/** Frames above this size are a protocol error (the engine uses the same bound). */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > MAX_FRAME_BYTES) throw new FrameError(`frame of ${body.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

/** Reassembles frames from stream chunks, whatever their boundaries. */
export class FrameDecoder {
  #chunks: Buffer[] = [];
  #buffered = 0;
  readonly #maxFrame: number;

  constructor(maxFrame = MAX_FRAME_BYTES) {
    this.#maxFrame = maxFrame;
  }

  /** Adds a chunk and returns the frames it completed, parsed as JSON. */
  push(chunk: Buffer): unknown[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const out: unknown[] = [];
    for (;;) {
      if (this.#buffered < 4) return out;
      const head = this.#peek(4);
      const length = head.readUInt32BE(0);
      if (length > this.#maxFrame) throw new FrameError(`frame of ${length} bytes exceeds ${this.#maxFrame}`);
      if (this.#buffered < 4 + length) return out;
      const frame = this.#take(4 + length).subarray(4);
      out.push(JSON.parse(frame.toString('utf8')));
    }
  }

  /** Bytes received that do not yet form a whole frame. */
  get pending(): number {
    return this.#buffered;
  }

  #peek(n: number): Buffer {
    if (this.#chunks[0] !== undefined && this.#chunks[0].length >= n) return this.#chunks[0];
    const all = Buffer.concat(this.#chunks);
    this.#chunks = [all];
    return all;
  }

  #take(n: number): Buffer {
    const all = this.#chunks.length === 1 && this.#chunks[0] !== undefined ? this.#chunks[0] : Buffer.concat(this.#chunks);
    const taken = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return taken;
  }
}
