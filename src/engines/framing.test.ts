import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeFrame, FrameDecoder, FrameError } from './framing.ts';

describe('engine framing', () => {
  it('round-trips a message with a big-endian length prefix', () => {
    const frame = encodeFrame({ id: 1, op: 'ping' });
    const body = '{"id":1,"op":"ping"}';
    assert.equal(frame.readUInt32BE(0), Buffer.byteLength(body));
    assert.equal(frame.subarray(4).toString(), body);
    assert.deepEqual(new FrameDecoder().push(frame), [{ id: 1, op: 'ping' }]);
  });

  it('reassembles frames split at every byte boundary and several frames in one chunk', () => {
    const messages = [{ id: 1, yaml: 'a: ü\n' }, { id: 2, ok: true }, { id: 3, list: [1, 2, 3] }];
    const wire = Buffer.concat(messages.map(encodeFrame));
    for (let cut = 0; cut <= wire.length; cut++) {
      const d = new FrameDecoder();
      const got = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))];
      assert.deepEqual(got, messages, `cut at ${cut}`);
      assert.equal(d.pending, 0);
    }
    const d = new FrameDecoder();
    const oneByOne = [...wire].flatMap((b) => d.push(Buffer.from([b])));
    assert.deepEqual(oneByOne, messages);
  });

  it('keeps an incomplete frame pending', () => {
    const d = new FrameDecoder();
    const frame = encodeFrame({ id: 9 });
    assert.deepEqual(d.push(frame.subarray(0, 6)), []);
    assert.equal(d.pending, 6);
  });

  it('rejects a length prefix above the limit before buffering the body', () => {
    const d = new FrameDecoder(1024);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(1025, 0);
    assert.throws(() => d.push(head), FrameError);
  });
});
