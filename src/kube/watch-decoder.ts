import type { Readable } from 'node:stream';
import type { KubeObject, WatchEvent } from './types.ts';

/**
 * Decodes a watch response (one JSON event per line) as it streams. Ends when the server closes
 * the stream; destroying the body (abort) ends it too.
 */
export async function* decodeWatch<T extends KubeObject>(body: Readable): AsyncGenerator<WatchEvent<T>> {
  let buffered = '';
  body.setEncoding('utf8');
  try {
    for await (const chunk of body as AsyncIterable<string>) {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) yield JSON.parse(line) as WatchEvent<T>;
      }
    }
    const rest = buffered.trim();
    if (rest) yield JSON.parse(rest) as WatchEvent<T>;
  } finally {
    body.destroy();
  }
}
