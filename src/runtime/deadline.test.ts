import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { deadline } from './deadline.ts';

void test('aborts with a TimeoutError after the term, not once cleared, and follows its parent', async () => {
  const late = deadline(20);
  await sleep(60);
  assert.equal(late.signal.aborted, true);
  assert.equal((late.signal.reason as DOMException).name, 'TimeoutError');

  const cleared = deadline(20);
  cleared.clear();
  await sleep(60);
  assert.equal(cleared.signal.aborted, false);

  const parent = new AbortController();
  const child = deadline(60_000, parent.signal);
  parent.abort(new Error('stop'));
  assert.equal(child.signal.aborted, true);
  assert.equal((child.signal.reason as Error).message, 'stop');
  child.clear();
});
