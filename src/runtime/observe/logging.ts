// Structured logs in the shape Flux's controllers write (zap JSON: `level` as a word, `ts`,
// `msg`), through pino. 'console' is a one-line human format for terminals, rendered here so
// no pretty-printer package (or worker thread) is needed.
import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'error';
export type LogEncoding = 'json' | 'console';

export interface LoggerOptions {
  level?: LogLevel;
  encoding?: LogEncoding;
  /** Where lines go; defaults to stdout. Anything with `write(line)`. */
  destination?: DestinationStream;
  /** Clock for `ts`, so tests get stable output. */
  now?: () => Date;
  /** Fields on every line, e.g. `{ controller: 'source-controller' }`. */
  base?: Record<string, unknown>;
}

const levels: readonly LogLevel[] = ['trace', 'debug', 'info', 'error'];

export function isLogLevel(v: string): v is LogLevel {
  return (levels as readonly string[]).includes(v);
}

function renderValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** One JSON log line → `ts LEVEL msg key=value …`; lines that are not JSON pass through. */
export function formatConsoleLine(line: string): string {
  let rec: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return line;
    rec = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const { ts, level, msg, ...rest } = rec;
  const text = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v : renderValue(v));
  const head = [text(ts), text(level).toUpperCase(), text(msg)].filter((s) => s !== '');
  const tail = Object.entries(rest).map(([k, v]) => `${k}=${renderValue(v)}`);
  return `${[...head, ...tail].join(' ')}\n`;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const now = opts.now ?? (() => new Date());
  const target: DestinationStream = opts.destination ?? pino.destination(1);
  const stream: DestinationStream =
    opts.encoding === 'console' ? { write: (line: string) => void target.write(formatConsoleLine(line)) } : target;
  return pino(
    {
      level: opts.level ?? 'info',
      // No pid/hostname: controllers log in containers where both are noise.
      base: opts.base ?? null,
      messageKey: 'msg',
      timestamp: () => `,"ts":"${now().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}
