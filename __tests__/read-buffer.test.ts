/**
 * The read buffer against the simplest model of it (one growing byte string), over random
 * sequences of pushes, unshifts and takes: the first chunk lives in a field of its own and the
 * rest in a reused array, and every way of taking bytes must see them as one stream.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { ReadBuffer } from '../lib/io/read-buffer.js';

type Step =
  | { kind: 'push'; bytes: number[] }
  | { kind: 'unshift'; bytes: number[] }
  | { kind: 'take'; min: number; max: number }
  | { kind: 'takeExactly'; count: number }
  | { kind: 'shift' }
  | { kind: 'indexOf'; delimiter: number[]; from: number; limit: number }
  | { kind: 'byteAt'; offset: number }
  | { kind: 'copyInto'; size: number }
  | { kind: 'takeLine'; count: number }
  | { kind: 'drain' }
  | { kind: 'clear' };

const bytes = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 6 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('push' as const), bytes }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unshift' as const), bytes }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('take' as const), min: fc.nat(12), max: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('takeExactly' as const), count: fc.nat(12) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'shift' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('indexOf' as const), delimiter: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }), from: fc.nat(6), limit: fc.nat(16) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('byteAt' as const), offset: fc.nat(16) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('copyInto' as const), size: fc.nat(10) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('takeLine' as const), count: fc.nat(12) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drain' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

/** Where `delimiter` starts in the first `limit` bytes of `model`, at or after `from`. */
function modelIndexOf(model: Buffer, delimiter: Buffer, from: number, limit: number): number {
  const at = model.subarray(0, Math.min(limit, model.length)).indexOf(delimiter, from);
  return at;
}

describe('ReadBuffer', () => {
  test('behaves as one byte string under any sequence of operations', () => {
    fc.assert(fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
      const buffer = new ReadBuffer();
      let model = Buffer.alloc(0);
      for (const s of steps) {
        switch (s.kind) {
          case 'push':
            buffer.push(Buffer.from(s.bytes));
            model = Buffer.concat([model, Buffer.from(s.bytes)]);
            break;
          case 'unshift':
            buffer.unshift(Buffer.from(s.bytes));
            model = Buffer.concat([Buffer.from(s.bytes), model]);
            break;
          case 'take': {
            if (model.length < s.min) break; // the caller checks that `min` bytes are there
            const max = Math.max(s.max, s.min);
            const got = buffer.take(s.min, max);
            expect(got.length).toBeGreaterThanOrEqual(Math.min(s.min, model.length));
            expect(got.length).toBeLessThanOrEqual(max);
            expect(Buffer.compare(got, model.subarray(0, got.length))).toBe(0);
            model = model.subarray(got.length);
            break;
          }
          case 'takeExactly': {
            if (model.length < s.count) break;
            const got = buffer.takeExactly(s.count);
            expect(Buffer.compare(got, model.subarray(0, s.count))).toBe(0);
            model = model.subarray(s.count);
            break;
          }
          case 'shift': {
            const got = buffer.shift();
            expect(Buffer.compare(got, model.subarray(0, got.length))).toBe(0);
            if (model.length > 0) expect(got.length).toBeGreaterThan(0);
            model = model.subarray(got.length);
            break;
          }
          case 'indexOf': {
            const delimiter = Buffer.from(s.delimiter);
            expect(buffer.indexOf(delimiter, s.from, s.limit)).toBe(modelIndexOf(model, delimiter, s.from, s.limit));
            break;
          }
          case 'byteAt':
            if (s.offset < model.length) expect(buffer.byteAt(s.offset)).toBe(model[s.offset]);
            break;
          case 'copyInto': {
            const target = Buffer.alloc(s.size);
            const count = buffer.copyInto(target);
            expect(count).toBe(Math.min(s.size, model.length));
            expect(Buffer.compare(target.subarray(0, count), model.subarray(0, count))).toBe(0);
            model = model.subarray(count);
            break;
          }
          case 'takeLine': {
            if (model.length < s.count) break;
            expect(buffer.takeLine(s.count)).toBe(new TextDecoder().decode(model.subarray(0, s.count)));
            model = model.subarray(s.count);
            break;
          }
          case 'drain':
            expect(Buffer.compare(Buffer.concat(buffer.drain()), model)).toBe(0);
            model = Buffer.alloc(0);
            break;
          case 'clear':
            buffer.clear();
            model = Buffer.alloc(0);
            break;
        }
        expect(buffer.length).toBe(model.length);
      }
      expect(Buffer.compare(Buffer.concat(buffer.drain()), model)).toBe(0);
    }), { numRuns: 500 });
  });

  test('takes lines as TextDecoder reads them, however the bytes were split into chunks', () => {
    const piece = fc.constantFrom('a', 'é', '€', '😀', '\r', '\n', '\r\n', '\uFEFF', 'xyz');
    fc.assert(fc.property(fc.array(piece, { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }),
      (pieces, cuts) => {
        const bytes = Buffer.from(pieces.join('') + '\n');
        const buffer = new ReadBuffer();
        for (let at = 0, i = 0; at < bytes.length; i++) {
          const size = cuts[i % cuts.length]!;
          buffer.push(bytes.subarray(at, at + size));
          at += size;
        }
        const lf = new Uint8Array([0x0a]);
        const got: string[] = [];
        for (let end = buffer.indexOf(lf, 0, Infinity); end >= 0; end = buffer.indexOf(lf, 0, Infinity)) got.push(buffer.takeLine(end + 1));
        const expected = bytes.toString('latin1').split('\n').slice(0, -1).map((line) => {
          const raw = Buffer.from(line, 'latin1');
          return new TextDecoder().decode(raw.at(-1) === 0x0d ? raw.subarray(0, -1) : raw);
        });
        expect(got).toEqual(expected);
        expect(buffer.length).toBe(0);
      }), { numRuns: 300 });
  });

  test('keeps order across many chunks and compaction of its array', () => {
    const buffer = new ReadBuffer();
    let next = 0;
    let expected = 0;
    // More than 1024 chunks waiting behind the first, taken in steps, so the array compacts.
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 3000; i++) buffer.push(Buffer.from([next++ & 0xff]));
      for (let i = 0; i < 2500; i++) expect(buffer.shift()[0]).toBe(expected++ & 0xff);
    }
    const rest = Buffer.concat(buffer.drain());
    for (const byte of rest) expect(byte).toBe(expected++ & 0xff);
    expect(expected).toBe(next);
  });
});
