import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, formatConsoleLine, isLogLevel } from './logging.ts';

function sink() {
  const lines: string[] = [];
  return { lines, write: (s: string) => void lines.push(s) };
}

const now = () => new Date('2025-01-01T12:00:00.123Z');

describe('createLogger', () => {
  it('writes JSON with a word level and an ISO ts, without pid/hostname', () => {
    const out = sink();
    const log = createLogger({ destination: out, now, base: { controller: 'source-controller' } });
    log.info({ name: 'podinfo', namespace: 'flux-system' }, 'stored artifact');
    assert.deepEqual(JSON.parse(out.lines[0] ?? ''), {
      level: 'info',
      ts: '2025-01-01T12:00:00.123Z',
      controller: 'source-controller',
      name: 'podinfo',
      namespace: 'flux-system',
      msg: 'stored artifact',
    });
  });

  it('honours the level', () => {
    const out = sink();
    const log = createLogger({ destination: out, now, level: 'error' });
    log.info('hidden');
    log.debug('hidden');
    log.error('shown');
    assert.equal(out.lines.length, 1);
    const trace = sink();
    createLogger({ destination: trace, now, level: 'trace' }).trace('t');
    assert.match(trace.lines[0] ?? '', /"level":"trace"/);
  });

  it('renders one compact line in console encoding', () => {
    const out = sink();
    const log = createLogger({ destination: out, now, encoding: 'console' });
    log.info({ kind: 'GitRepository', note: 'two words', n: 3 }, 'reconciled');
    assert.equal(out.lines[0], '2025-01-01T12:00:00.123Z INFO reconciled kind=GitRepository note="two words" n=3\n');
  });

  it('passes non-JSON through and validates level names', () => {
    assert.equal(formatConsoleLine('plain'), 'plain');
    assert.equal(isLogLevel('debug'), true);
    assert.equal(isLogLevel('warn'), false);
  });
});
