/**
 * Property tests of the network frame codec (docs/NET.md §Frames), in the style of codec.test.ts:
 *
 * - round trip: decodeFrame(encodeFrame(f)) deep-equals f, for every frame type;
 * - every truncation (every shorter prefix) throws CodecError;
 * - every extension (1..3 extra bytes) throws CodecError;
 * - every single-bit flip throws CodecError or decodes to a frame that re-encodes to exactly the
 *   flipped bytes (one encoding per value) — never another exception;
 * - values with no canonical encoding are refused by the encoder with RangeError;
 * - chunked blocks reassemble in any order, with duplicates, within the partial-block budget.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compare, toHex, utf8 } from '../../src/core/bytes.ts';
import { CodecError } from '../../src/core/errors.ts';
import { MAX_BLOCK_BYTES } from '../../src/core/codec/block.ts';
import { Chain } from '../../src/core/types.ts';
import {
  blockFrames, ByeReason, CHUNK_BYTES, chunkCount, chunkLength, compareBounds, decodeFrame, encodeFrame, FINGERPRINT_BYTES, MAX_BOUND,
  MAX_BYE_TEXT, MAX_FRAME, MAX_IDS, ProtocolError, Reassembler, ROLE_CHAINS, sortIds,
  type Bound, type Frame, type NodeRole, type SyncRange,
} from '../../src/net/frames.ts';

// ───────────────────────────── arbitraries ─────────────────────────────

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const chain = fc.constantFrom(Chain.TRACING, Chain.NOTIFICATION);
const ids = (min: number, max: number) => fc.uniqueArray(bytes(32), { minLength: min, maxLength: max, selector: toHex }).map(sortIds);
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> => fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;

const bound: fc.Arbitrary<Bound> = rec({ time: fc.integer({ min: 0, max: 0xffffffff }), prefix: fc.uint8Array({ maxLength: 32 }) }).map((b) => {
  let n = b.prefix.length;
  while (n && b.prefix[n - 1] === 0) n--;
  return { time: b.time, prefix: b.prefix.slice(0, n) };
});

const wellFormed = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => utf8(s).length <= MAX_BYE_TEXT);

const hello: fc.Arbitrary<Frame> = rec({ role: fc.constantFrom<NodeRole>('thin', 'full', 'relay'), region: fc.integer({ min: 0, max: 0xffff }) })
  .map(({ role, region }) => ({ type: 'hello', version: 1, region, chains: ROLE_CHAINS[role], role }));
const bye: fc.Arbitrary<Frame> = rec({ reason: fc.integer({ min: 0, max: ByeReason.ROTATION }), text: wellFormed })
  .map(({ reason, text }) => ({ type: 'bye', reason: reason as 0, text }));
const inv: fc.Arbitrary<Frame> = rec({ chain, ids: ids(1, 20) }).map((f) => ({ type: 'inv', ...f }));
const get: fc.Arbitrary<Frame> = ids(1, 20).map((x) => ({ type: 'get', ids: x }));
const notfound: fc.Arbitrary<Frame> = ids(1, 20).map((x) => ({ type: 'notfound', ids: x }));
const receipt: fc.Arbitrary<Frame> = rec({ id: bytes(32), status: fc.integer({ min: 0, max: 3 }) }).map((f) => ({ type: 'receipt', id: f.id, status: f.status as 0 }));
const block: fc.Arbitrary<Frame> = fc
  .record({
    upload: fc.boolean(),
    id: bytes(32),
    total: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: CHUNK_BYTES - 2, max: CHUNK_BYTES + 2 }), fc.integer({ min: 1, max: MAX_BLOCK_BYTES })),
    pick: fc.nat(),
    seed: fc.integer({ min: 0, max: 255 }),
  })
  .map(({ upload, id, total, pick, seed }) => {
    const index = pick % chunkCount(total);
    const payload = new Uint8Array(chunkLength(total, index)).map((_, i) => (i * 31 + seed) & 255);
    return { type: 'block', upload, id, total, index, payload };
  });
const sync: fc.Arbitrary<Frame> = fc
  .record({
    chain,
    bounds: fc.uniqueArray(bound, { minLength: 1, maxLength: 7, comparator: (a, b) => compareBounds(a, b) === 0 }),
    modes: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 6, maxLength: 6 }),
    counts: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 6, maxLength: 6 }),
    fps: fc.array(bytes(FINGERPRINT_BYTES), { minLength: 6, maxLength: 6 }),
    lists: fc.array(ids(0, 5), { minLength: 6, maxLength: 6 }),
  })
  .map(({ chain: c, bounds, modes, counts, fps, lists }) => {
    const sorted = [...bounds].sort(compareBounds);
    const [start, ...uppers] = sorted;
    const ranges: SyncRange[] = uppers.map((upper, i) => {
      let m = modes[i];
      if (m === 0 && (i === 0 || i === uppers.length - 1 || modes[i - 1] === 0)) m = 1;
      modes[i] = m;
      if (m === 0) return { upper, mode: 'skip' };
      if (m === 1) return { upper, mode: 'fingerprint', count: counts[i], fingerprint: fps[i] };
      return { upper, mode: 'idlist', ids: lists[i] };
    });
    return { type: 'sync', chain: c, start, ranges };
  });

const prove: fc.Arbitrary<Frame> = rec({ id: bytes(32), chain, from: fc.integer({ min: 0, max: 0xfffffffe }), len: fc.integer({ min: 1, max: 86_400 }), size: fc.integer({ min: 0, max: 0xffffffff }), root: bytes(32) })
  .map((f) => ({ type: 'prove', id: f.id, checkpoint: { chain: f.chain, fromTime: f.from, toTime: Math.min(0xffffffff, f.from + f.len), size: f.size, root: f.root } }));
const proof: fc.Arbitrary<Frame> = rec({ id: bytes(32), root: bytes(32), status: fc.integer({ min: 0, max: 2 }), index: fc.integer({ min: 0, max: 0xffffffff }), path: fc.array(bytes(32), { maxLength: 32 }) })
  .map((f) => (f.status === 0 ? { type: 'proof', ...f, status: 0 } : { type: 'proof', id: f.id, root: f.root, status: f.status as 1, index: 0, path: [] }));

const auth: fc.Arbitrary<Frame> = rec({ key: bytes(32), sig: bytes(64) }).map((f) => ({ type: 'auth', ...f }));

const anyFrame = fc.oneof(hello, bye, inv, get, notfound, receipt, block, sync, prove, proof, auth);

/** Positions to test in a frame: all for small frames, a sample (ends included) for big ones. */
function positions(n: number): number[] {
  if (n <= 600) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>();
  for (let i = 0; i < 300; i++) out.add(i);
  for (let i = n - 300; i < n; i++) out.add(i);
  for (let i = 0; i < 200; i++) out.add(Math.floor((i * n) / 200));
  return [...out];
}

function throwsCodec(fn: () => unknown, what: string): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CodecError, `${what}: expected CodecError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    return;
  }
  assert.fail(`${what}: decoded without an error`);
}

// ───────────────────────────── properties ─────────────────────────────

test('every frame type round-trips, also from a view into a larger buffer', () => {
  fc.assert(
    fc.property(anyFrame, (f) => {
      const b = encodeFrame(f);
      assert.ok(b.length <= MAX_FRAME);
      assert.deepStrictEqual(decodeFrame(b), f);
      const big = new Uint8Array(b.length + 7);
      big.set(b, 3);
      assert.deepStrictEqual(decodeFrame(big.subarray(3, 3 + b.length)), f);
    }),
    { numRuns: 400 },
  );
});

test('every truncation of a frame throws CodecError', () => {
  fc.assert(
    fc.property(anyFrame, (f) => {
      const b = encodeFrame(f);
      for (const n of positions(b.length)) throwsCodec(() => decodeFrame(b.subarray(0, n)), `${f.type} cut to ${n} of ${b.length}`);
    }),
    { numRuns: 200 },
  );
});

test('every extension of a frame throws CodecError', () => {
  fc.assert(
    fc.property(anyFrame, fc.uint8Array({ minLength: 1, maxLength: 3 }), (f, extra) => {
      const b = encodeFrame(f);
      const x = new Uint8Array(b.length + extra.length);
      x.set(b);
      x.set(extra, b.length);
      throwsCodec(() => decodeFrame(x), `${f.type} + ${extra.length} bytes`);
    }),
    { numRuns: 300 },
  );
});

test('a single bit flip is rejected or gives another canonical frame (never another exception)', () => {
  fc.assert(
    fc.property(fc.oneof(hello, bye, inv, get, notfound, receipt, sync, block), (f) => {
      const b = encodeFrame(f);
      for (const i of positions(b.length)) {
        for (let bit = 0; bit < 8; bit++) {
          const x = b.slice();
          x[i] ^= 1 << bit;
          let d: Frame;
          try {
            d = decodeFrame(x);
          } catch (e) {
            assert.ok(e instanceof CodecError, `flip ${i}.${bit} of ${f.type}: ${(e as Error).name}: ${(e as Error).message}`);
            continue;
          }
          assert.deepStrictEqual(encodeFrame(d), x, `flip ${i}.${bit} of ${f.type} decoded to a frame with another encoding`);
        }
      }
    }),
    { numRuns: 60 },
  );
});

test('decodeFrame names what is wrong: too long, empty, unknown type, version, range, order', () => {
  const code = (b: Uint8Array) => {
    try {
      decodeFrame(b);
    } catch (e) {
      assert.ok(e instanceof CodecError);
      return e.code;
    }
    return 'ok';
  };
  assert.equal(code(new Uint8Array(MAX_FRAME + 1)), 'too_long');
  assert.equal(code(new Uint8Array(0)), 'truncated');
  assert.equal(code(new Uint8Array([12])), 'unknown_type');
  assert.equal(code(new Uint8Array([0])), 'unknown_type');
  assert.equal(code(new Uint8Array([1, 2, 0, 1, 3, 1])), 'version');
  assert.equal(code(new Uint8Array([1, 1, 0, 1, 1, 1])), 'range', 'a full node must carry both chains');
  assert.equal(code(new Uint8Array([1, 1, 0, 1, 3, 0])), 'range', 'a thin node carries only the notification chain');
  assert.equal(code(new Uint8Array([1, 1, 0, 1, 2, 3])), 'range', 'role 3 does not exist');
  const a = new Uint8Array(32).fill(1);
  const b = new Uint8Array(32).fill(2);
  const get2 = (x: Uint8Array, y: Uint8Array) => new Uint8Array([4, 0, 2, ...x, ...y]);
  assert.equal(code(get2(a, b)), 'ok');
  assert.equal(code(get2(b, a)), 'not_canonical', 'ids out of order');
  assert.equal(code(get2(a, a)), 'not_canonical', 'duplicate ids');
  assert.equal(code(new Uint8Array([4, 0, 0])), 'range', 'an empty GET');
  assert.equal(code(new Uint8Array([2, 0, 0, 2, 0xc3, 0x28])), 'utf8', 'BYE text must be UTF-8');
  // a SYNC bound prefix may not end in a zero byte
  assert.equal(code(new Uint8Array([7, 1, 0, 0, 0, 0, 1, 0, 0])), 'not_canonical');
  // a lone SKIP range is not canonical
  assert.equal(code(new Uint8Array([7, 1, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0])), 'not_canonical');
  // PROVE with toTime ≤ fromTime; PROOF saying ABSENT but carrying a path
  const prove = encodeFrame({ type: 'prove', id: new Uint8Array(32), checkpoint: { chain: 1, fromTime: 10, toTime: 11, size: 0, root: new Uint8Array(32) } });
  prove.set([0, 0, 0, 10], 38);
  assert.equal(code(prove), 'range', 'an empty checkpoint interval');
  const proof = encodeFrame({ type: 'proof', id: new Uint8Array(32), root: new Uint8Array(32), status: 0, index: 0, path: [new Uint8Array(32)] });
  proof[65] = 1;
  assert.equal(code(proof), 'not_canonical', 'only INCLUDED carries a path');
});

test('the encoder refuses values that have no canonical encoding', () => {
  const id = (n: number) => new Uint8Array(32).fill(n);
  const bad: [string, Frame][] = [
    ['unsorted ids', { type: 'get', ids: [id(2), id(1)] }],
    ['duplicate ids', { type: 'notfound', ids: [id(1), id(1)] }],
    ['no ids', { type: 'inv', chain: 1, ids: [] }],
    ['too many ids', { type: 'get', ids: sortIds(Array.from({ length: MAX_IDS + 1 }, (_, i) => new Uint8Array(32).fill(0).map((_, j) => (j === 0 ? i >> 8 : j === 1 ? i & 255 : 0)))) }],
    ['a short id', { type: 'get', ids: [new Uint8Array(31)] }],
    ['chain 3', { type: 'inv', chain: 3 as 1, ids: [id(1)] }],
    ['thin with the tracing chain', { type: 'hello', version: 1, region: 1, chains: [1, 2], role: 'thin' }],
    ['version 2', { type: 'hello', version: 2, region: 1, chains: [2], role: 'thin' }],
    ['BYE text over the limit', { type: 'bye', reason: 0, text: 'x'.repeat(MAX_BYE_TEXT + 1) }],
    ['a chunk of the wrong length', { type: 'block', upload: false, id: id(1), total: 10, index: 0, payload: new Uint8Array(9) }],
    ['a chunk past the end', { type: 'block', upload: false, id: id(1), total: 10, index: 1, payload: new Uint8Array(0) }],
    ['a block over the limit', { type: 'block', upload: false, id: id(1), total: MAX_BLOCK_BYTES + 1, index: 0, payload: new Uint8Array(CHUNK_BYTES) }],
    ['a bound ending in zero', { type: 'sync', chain: 1, start: { time: 1, prefix: new Uint8Array([1, 0]) }, ranges: [] }],
    ['bounds not increasing', { type: 'sync', chain: 1, start: { time: 5, prefix: new Uint8Array(0) }, ranges: [{ upper: { time: 5, prefix: new Uint8Array(0) }, mode: 'idlist', ids: [] }] }],
    ['a leading skip', { type: 'sync', chain: 1, start: { time: 0, prefix: new Uint8Array(0) }, ranges: [{ upper: { time: 1, prefix: new Uint8Array(0) }, mode: 'skip' }, { upper: MAX_BOUND, mode: 'idlist', ids: [] }] }],
    ['a short fingerprint', { type: 'sync', chain: 1, start: { time: 0, prefix: new Uint8Array(0) }, ranges: [{ upper: MAX_BOUND, mode: 'fingerprint', count: 1, fingerprint: new Uint8Array(15) }] }],
    ['receipt status 4', { type: 'receipt', id: id(1), status: 4 as 0 }],
    ['an empty checkpoint interval', { type: 'prove', id: id(1), checkpoint: { chain: 1, fromTime: 5, toTime: 5, size: 1, root: id(2) } }],
    ['a short checkpoint root', { type: 'prove', id: id(1), checkpoint: { chain: 1, fromTime: 5, toTime: 6, size: 1, root: new Uint8Array(31) } }],
    ['ABSENT with a path', { type: 'proof', id: id(1), root: id(2), status: 1, index: 0, path: [id(3)] }],
    ['UNKNOWN with an index', { type: 'proof', id: id(1), root: id(2), status: 2, index: 4, path: [] }],
    ['a path of 33 hashes', { type: 'proof', id: id(1), root: id(2), status: 0, index: 0, path: Array.from({ length: 33 }, () => id(3)) }],
    ['proof status 3', { type: 'proof', id: id(1), root: id(2), status: 3 as 0, index: 0, path: [] }],
  ];
  for (const [what, f] of bad) assert.throws(() => encodeFrame(f), (e: Error) => e instanceof RangeError, what);
  // the largest id list fits a frame
  const max = sortIds(Array.from({ length: MAX_IDS }, (_, i) => new Uint8Array(32).map((_, j) => (j < 2 ? (j ? i & 255 : i >> 8) : 7))));
  assert.equal(decodeFrame(encodeFrame({ type: 'inv', chain: 2, ids: max })).type, 'inv');
});

test('blocks split into chunks reassemble in any order, with duplicates', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 * CHUNK_BYTES + 17 }), fc.integer(), (n, seed) => {
      const block = new Uint8Array(n).map((_, i) => (i * 7 + seed) & 255);
      const id = new Uint8Array(32).fill(seed & 255);
      const frames = blockFrames(id, block, false);
      assert.equal(frames.length, chunkCount(n));
      for (const f of frames) assert.ok(f.length <= MAX_FRAME);
      const order = frames.map((_, i) => i).sort((a, b) => ((a * 2654435761 + seed) >>> 0) % 97 - ((b * 2654435761 + seed) >>> 0) % 97);
      const r = new Reassembler();
      let whole: Uint8Array | null = null;
      // a duplicate of the first chunk arrives again before the last one
      const sequence = order.length > 1 ? [...order.slice(0, -1), order[0], order[order.length - 1]] : order;
      for (const [k, i] of sequence.entries()) {
        const out = r.push(decodeFrame(frames[i]) as Extract<Frame, { type: 'block' }>, 0);
        if (k < sequence.length - 1) assert.equal(out, null, `chunk ${k} of ${sequence.length} does not complete the block`);
        else whole = out;
      }
      assert.ok(whole);
      assert.equal(compare(whole, block), 0);
      assert.equal(r.held, 0, 'nothing is held once complete');
    }),
    { numRuns: 60 },
  );
});

test('the reassembler holds at most its budget and refuses chunks that disagree', () => {
  const r = new Reassembler(3 * CHUNK_BYTES);
  const chunk = (idByte: number, total: number, index: number) => ({ type: 'block' as const, upload: false, id: new Uint8Array(32).fill(idByte), total, index, payload: new Uint8Array(chunkLength(total, index)) });
  assert.equal(r.push(chunk(1, 2 * CHUNK_BYTES, 0), 0), null);
  assert.equal(r.held, 2 * CHUNK_BYTES);
  assert.throws(() => r.push(chunk(2, 2 * CHUNK_BYTES, 0), 0), (e: Error) => e instanceof ProtocolError && e.code === 'partial_budget');
  assert.throws(() => r.push(chunk(1, 2 * CHUNK_BYTES + 1, 0), 0), (e: Error) => e instanceof ProtocolError && e.code === 'chunk_mismatch');
  assert.deepEqual(r.expire(1), [toHex(new Uint8Array(32).fill(1))], 'a stale partial block expires');
  assert.equal(r.held, 0);
  assert.equal(r.push(chunk(2, 2 * CHUNK_BYTES, 1), 5), null, 'after expiry there is room again');
  assert.ok(r.push(chunk(3, 100, 0), 5), 'single-chunk blocks never count against the budget');
});
