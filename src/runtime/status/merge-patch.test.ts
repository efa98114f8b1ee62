import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMergePatch, createMergePatch } from './merge-patch.ts';

describe('merge patch', () => {
  const cases: { name: string; before: unknown; after: unknown; want: unknown }[] = [
    { name: 'equal → undefined', before: { a: 1, b: { c: [1] } }, after: { a: 1, b: { c: [1] } }, want: undefined },
    { name: 'changed scalar', before: { a: 1 }, after: { a: 2 }, want: { a: 2 } },
    { name: 'added key', before: {}, after: { a: { b: 1 } }, want: { a: { b: 1 } } },
    { name: 'removed key → null', before: { a: 1, b: 2 }, after: { b: 2 }, want: { a: null } },
    { name: 'undefined counts as removed', before: { a: 1 }, after: { a: undefined }, want: { a: null } },
    { name: 'nested diff only', before: { s: { x: 1, y: 2 } }, after: { s: { x: 1, y: 3 } }, want: { s: { y: 3 } } },
    { name: 'arrays replaced whole', before: { l: [1, 2] }, after: { l: [1, 2, 3] }, want: { l: [1, 2, 3] } },
    { name: 'object to scalar', before: { a: { b: 1 } }, after: { a: 'x' }, want: { a: 'x' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const patch = createMergePatch(c.before, c.after);
      assert.deepEqual(patch, c.want);
      if (patch !== undefined) assert.deepEqual(applyMergePatch(c.before, patch), JSON.parse(JSON.stringify(c.after)));
    });
  }

  it('applies RFC 7386 appendix examples', () => {
    assert.deepEqual(applyMergePatch({ a: 'b' }, { a: 'c' }), { a: 'c' });
    assert.deepEqual(applyMergePatch({ a: 'b' }, { a: null }), {});
    assert.deepEqual(applyMergePatch({ a: [{ b: 'c' }] }, { a: [1] }), { a: [1] });
    assert.deepEqual(applyMergePatch(['a', 'b'], { a: 'b' }), { a: 'b' });
    assert.deepEqual(applyMergePatch({}, { a: { bb: { ccc: null } } }), { a: { bb: {} } });
  });
});
