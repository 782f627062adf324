import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'fake-indexeddb/auto';
import { indexedDB } from 'fake-indexeddb';
import type { BlockMeta, BlockStore } from '../../src/core/store.ts';
import { Chain, type ChainId } from '../../src/core/types.ts';
import { compare, toHex, utf8 } from '../../src/core/bytes.ts';
import { MemoryStore, MAX_TIME } from '../../src/store/memory-store.ts';
import { openIdbStore } from '../../src/store/idb-store.ts';
import { openFileStore, crc32, crc32Portable, type FileStore } from '../../src/store/file-store.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 4, 1); // a UTC midnight

/** A 32-byte id whose first byte is `a` and last bytes are `n` (so order is controllable). */
function id(a: number, n = 0): Uint8Array {
  const b = new Uint8Array(32);
  b[0] = a;
  new DataView(b.buffer).setUint32(28, n);
  return b;
}
const body = (n: number, len = 40): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (n * 31 + i) & 255);
const meta = (i: Uint8Array, chain: ChainId, time: number, kind = 1): BlockMeta => ({ id: i, chain, time, kind });
const hexes = (ms: BlockMeta[]): string[] => ms.map((m) => toHex(m.id));

/** A way to get a fresh store, and (for persistent ones) to reopen the same storage. */
interface Harness {
  name: string;
  fresh(): Promise<{ store: BlockStore; reopen?: () => Promise<BlockStore>; cleanup: () => Promise<void> }>;
}

let dbSeq = 0;
const harnesses: Harness[] = [
  { name: 'memory', fresh: async () => ({ store: new MemoryStore(), cleanup: async () => undefined }) },
  {
    name: 'idb',
    fresh: async () => {
      const name = `store-test-${++dbSeq}`;
      return { store: await openIdbStore(name, indexedDB), reopen: () => openIdbStore(name, indexedDB), cleanup: async () => undefined };
    },
  },
  {
    name: 'file',
    fresh: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'beeptrace-store-'));
      return { store: await openFileStore(dir), reopen: () => openFileStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  },
];

/** Run `fn` on a fresh store of harness `h`, closing and cleaning up afterwards. */
async function withStore(h: Harness, fn: (s: BlockStore) => Promise<void>): Promise<void> {
  const { store, cleanup } = await h.fresh();
  try {
    await fn(store);
  } finally {
    await store.close();
    await cleanup();
  }
}

for (const h of harnesses) {
  test(`[${h.name}] put/get/has/count`, () =>
    withStore(h, async (s) => {
      assert.equal(await s.countBlocks(), 0);
      await s.putBlock(meta(id(1), Chain.TRACING, T0 + 5), body(1));
      await s.putBlock(meta(id(2), Chain.NOTIFICATION, T0 + 6, 5), body(2, 700));
      assert.deepEqual(await s.getBlock(id(1)), body(1));
      assert.deepEqual(await s.getBlock(id(2)), body(2, 700));
      assert.equal(await s.hasBlock(id(1)), true);
      assert.equal(await s.hasBlock(id(3)), false);
      assert.equal(await s.getBlock(id(3)), undefined);
      assert.equal(await s.countBlocks(), 2);
      assert.equal(await s.countBlocks(Chain.TRACING), 1);
      assert.equal(await s.countBlocks(Chain.NOTIFICATION), 1);
      assert.deepEqual(await s.listBlocks(Chain.NOTIFICATION, 0, Infinity), [meta(id(2), Chain.NOTIFICATION, T0 + 6, 5)]);
      await s.putBlock(meta(id(4), Chain.TRACING, T0), new Uint8Array(0));
      assert.deepEqual(await s.getBlock(id(4)), new Uint8Array(0));
    }));

  test(`[${h.name}] putBlock of an existing id is a no-op (first write wins), also when concurrent`, () =>
    withStore(h, async (s) => {
      await s.putBlock(meta(id(1), Chain.TRACING, T0), body(1));
      await s.putBlock(meta(id(1), Chain.NOTIFICATION, T0 + DAY, 9), body(99));
      assert.equal(await s.countBlocks(), 1);
      assert.deepEqual(await s.getBlock(id(1)), body(1));
      assert.deepEqual(await s.listBlocks(Chain.TRACING, 0, Infinity), [meta(id(1), Chain.TRACING, T0)]);
      await Promise.all([1, 2, 3].map((k) => s.putBlock(meta(id(7), Chain.TRACING, T0 + 1), body(7 + k))));
      assert.equal(await s.countBlocks(Chain.TRACING), 2);
      assert.equal((await s.getBlock(id(7)))!.length, 40);
    }));

  test(`[${h.name}] listBlocks orders by time, then id bytes (not insertion order)`, () =>
    withStore(h, async (s) => {
      const ids = [id(0xa0), id(0x0a), id(0xff, 1), id(0x00, 2), id(0x0a, 1), id(0x10)];
      const times = [T0 + 100, T0 + 100, T0 + 50, T0 + 100, T0 + 100, T0 + DAY + 1];
      for (let i = 0; i < ids.length; i++) await s.putBlock(meta(ids[i], Chain.TRACING, times[i]), body(i));
      const expected = ids.map((x, i) => meta(x, Chain.TRACING, times[i])).sort((a, b) => a.time - b.time || compare(a.id, b.id));
      assert.deepEqual(await s.listBlocks(Chain.TRACING, 0, Infinity), expected);
      assert.deepEqual(hexes(await s.listBlocks(Chain.TRACING, T0 + 100, T0 + 101)), hexes(expected.slice(1, 5)));
      assert.equal(toHex(expected[1].id).slice(0, 2), '00');
    }));

  test(`[${h.name}] listBlocks range: fromTime inclusive, toTime exclusive, per chain, across days`, () =>
    withStore(h, async (s) => {
      const times = [T0 - 1, T0, T0 + 1, T0 + DAY - 1, T0 + DAY, T0 + 3 * DAY];
      for (let i = 0; i < times.length; i++) await s.putBlock(meta(id(i + 1), Chain.TRACING, times[i]), body(i));
      await s.putBlock(meta(id(100), Chain.NOTIFICATION, T0), body(100));
      const at = async (a: number, b: number) => (await s.listBlocks(Chain.TRACING, a, b)).map((m) => m.time);
      assert.deepEqual(await at(T0, T0 + DAY), [T0, T0 + 1, T0 + DAY - 1]);
      assert.deepEqual(await at(T0 + 1, T0 + DAY + 1), [T0 + 1, T0 + DAY - 1, T0 + DAY]);
      assert.deepEqual(await at(-Infinity, T0), [T0 - 1]);
      assert.deepEqual(await at(T0 + DAY, Infinity), [T0 + DAY, T0 + 3 * DAY]);
      assert.deepEqual(await at(T0, T0), []);
      assert.deepEqual(await at(T0 + 5, T0), []);
      assert.deepEqual(await at(T0 + 0.5, T0 + 1.5), [T0 + 1]);
      assert.deepEqual(hexes(await s.listBlocks(Chain.NOTIFICATION, 0, MAX_TIME)), [toHex(id(100))]);
    }));

  test(`[${h.name}] deleteBlocksBefore counts and removes exactly time < cutoff of that chain`, () =>
    withStore(h, async (s) => {
      const times = [T0 - 2 * DAY, T0 - DAY, T0 + 10, T0 + 20, T0 + 30, T0 + DAY + 5];
      for (let i = 0; i < times.length; i++) await s.putBlock(meta(id(i + 1), Chain.TRACING, times[i]), body(i, 100 + i));
      await s.putBlock(meta(id(50), Chain.NOTIFICATION, T0 - 2 * DAY), body(50));
      assert.equal(await s.deleteBlocksBefore(Chain.TRACING, T0 + 20), 3); // two old days + one of T0's day
      assert.deepEqual((await s.listBlocks(Chain.TRACING, -Infinity, Infinity)).map((m) => m.time), [T0 + 20, T0 + 30, T0 + DAY + 5]);
      assert.equal(await s.hasBlock(id(3)), false);
      assert.equal(await s.getBlock(id(1)), undefined);
      for (const i of [4, 5, 6]) assert.deepEqual(await s.getBlock(id(i)), body(i - 1, 100 + i - 1), `block ${i} intact after prune`);
      assert.equal(await s.countBlocks(Chain.NOTIFICATION), 1, 'other chain untouched');
      assert.equal(await s.deleteBlocksBefore(Chain.TRACING, T0 + 20), 0, 'second prune finds nothing');
      assert.equal(await s.deleteBlocksBefore(Chain.TRACING, -Infinity), 0);
      await s.putBlock(meta(id(3), Chain.TRACING, T0 + 10), body(3)); // an old block may come back
      await s.putBlock(meta(id(9), Chain.TRACING, T0 + 25), body(9));
      assert.deepEqual((await s.listBlocks(Chain.TRACING, T0, T0 + DAY)).map((m) => m.time), [T0 + 10, T0 + 20, T0 + 25, T0 + 30]);
      assert.deepEqual(await s.getBlock(id(9)), body(9));
      assert.equal(await s.deleteBlocksBefore(Chain.TRACING, Infinity), 5);
      assert.equal(await s.countBlocks(), 1);
    }));

  test(`[${h.name}] getOrCreateValue: racing callers get one value; an existing value is kept`, () =>
    withStore(h, async (s) => {
      let made = 0;
      const make = (v: string) => () => {
        made++;
        return utf8(v);
      };
      const got = await Promise.all(['a', 'b', 'c'].map((v) => s.getOrCreateValue('device/seed', make(v))));
      assert.equal(new Set(got.map(toHex)).size, 1, 'every caller got the same value');
      assert.deepEqual(await s.getValue('device/seed'), got[0], 'and it is the stored one');
      made = 0;
      assert.deepEqual(await s.getOrCreateValue('device/seed', make('z')), got[0]);
      assert.equal(made, 0, 'create is not called when the key exists');
      await s.setValue('empty', new Uint8Array(0));
      assert.deepEqual(await s.getOrCreateValue('empty', make('x')), new Uint8Array(0), 'an empty value counts as present');
      await assert.rejects(s.getOrCreateValue('', make('x')), RangeError);
    }));

  test(`[${h.name}] values: set, overwrite, get, delete, odd keys`, () =>
    withStore(h, async (s) => {
      assert.equal(await s.getValue('seed'), undefined);
      await s.setValue('seed', utf8('one'));
      await s.setValue('seed', utf8('two'));
      assert.deepEqual(await s.getValue('seed'), utf8('two'));
      for (const k of ['../x', 'a/b', '..', '/etc/passwd', 'C:\\x', 'Seed', 'ключ ✓', 'x'.repeat(120)]) {
        await s.setValue(k, utf8(`v:${k}`));
      }
      for (const k of ['../x', 'a/b', '..', '/etc/passwd', 'C:\\x', 'Seed', 'ключ ✓', 'x'.repeat(120)]) {
        assert.deepEqual(await s.getValue(k), utf8(`v:${k}`), k);
      }
      assert.deepEqual(await s.getValue('seed'), utf8('two'), 'keys are case-sensitive');
      await s.setValue('empty', new Uint8Array(0));
      assert.deepEqual(await s.getValue('empty'), new Uint8Array(0));
      await s.deleteValue('seed');
      await s.deleteValue('never-set');
      assert.equal(await s.getValue('seed'), undefined);
      assert.deepEqual(await s.getValue('a/b'), utf8('v:a/b'));
      await assert.rejects(s.setValue('', utf8('x')), RangeError);
      await assert.rejects(s.setValue('x'.repeat(121), utf8('x')), /1\.\.120 UTF-8 bytes/);
      await assert.rejects(s.getValue('\ud800'), /lone surrogate/);
      await assert.rejects(s.setValue('k', 'text' as unknown as Uint8Array), TypeError);
    }));

  test(`[${h.name}] returned bytes and metas are copies, inputs are copied`, () =>
    withStore(h, async (s) => {
      const i = id(1);
      const b = body(1);
      const big = new Uint8Array(1000).fill(7);
      await s.putBlock(meta(i, Chain.TRACING, T0), b);
      await s.putBlock(meta(id(2), Chain.TRACING, T0 + 1), big.subarray(10, 20));
      i[5] = 99;
      b[0] ^= 0xff;
      assert.deepEqual(await s.getBlock(id(1)), body(1), 'mutating the input id/bytes after put changes nothing');
      const got = (await s.getBlock(id(1)))!;
      got.fill(0);
      assert.deepEqual(await s.getBlock(id(1)), body(1), 'mutating a returned block changes nothing');
      assert.deepEqual(await s.getBlock(id(2)), new Uint8Array(10).fill(7));
      const [m] = await s.listBlocks(Chain.TRACING, T0, T0 + 1);
      m.id.fill(0);
      assert.deepEqual((await s.listBlocks(Chain.TRACING, T0, T0 + 1))[0].id, id(1));
      const v = utf8('value');
      await s.setValue('k', v);
      v[0] = 0;
      const out = (await s.getValue('k'))!;
      out[1] = 0;
      assert.deepEqual(await s.getValue('k'), utf8('value'));
    }));

  test(`[${h.name}] bad arguments are rejected with TypeError/RangeError naming the problem; closed store rejects`, async () => {
    const { store: s, cleanup } = await h.fresh();
    try {
      await assert.rejects(s.getBlock(new Uint8Array(31)), { name: 'RangeError', message: /id must be 32 bytes, got 31/ });
      await assert.rejects(s.hasBlock([1, 2] as unknown as Uint8Array), { name: 'TypeError', message: /id must be a Uint8Array, got Array/ });
      await assert.rejects(s.putBlock(meta(new Uint8Array(33), Chain.TRACING, T0), body(1)), RangeError);
      await assert.rejects(s.putBlock(meta(id(1), 3 as ChainId, T0), body(1)), /chain must be 1 \(tracing\) or 2/);
      await assert.rejects(s.putBlock(meta(id(1), Chain.TRACING, 1.5), body(1)), /time must be integer ms/);
      await assert.rejects(s.putBlock(meta(id(1), Chain.TRACING, MAX_TIME), body(1)), RangeError);
      await assert.rejects(s.putBlock(meta(id(1), Chain.TRACING, T0, 256), body(1)), /kind must be an integer 0\.\.255/);
      await assert.rejects(s.putBlock(meta(id(1), Chain.TRACING, T0), 'x' as unknown as Uint8Array), { name: 'TypeError', message: /bytes must be a Uint8Array/ });
      await assert.rejects(s.listBlocks(Chain.TRACING, NaN, 1), { name: 'TypeError', message: /fromTime/ });
      await assert.rejects(s.deleteBlocksBefore(0 as ChainId, 1), RangeError);
      assert.equal(await s.countBlocks(), 0, 'nothing was stored by the failed calls');
    } finally {
      await s.close();
    }
    await assert.rejects(s.getBlock(id(1)), /closed/);
    await assert.rejects(s.putBlock(meta(id(1), Chain.TRACING, T0), body(1)), /closed/);
    await s.close(); // idempotent
    await cleanup();
  });

  test(`[${h.name}] property: behaves like a simple model under random operations${h.name === 'memory' ? '' : ' (with reopen)'}`, async () => {
    // Times cluster in two adjacent days (and day boundaries) so prunes often cut inside a day.
    const times = [T0 - 1, T0, T0 + 1, T0 + 2, T0 + DAY - 1, T0 + DAY, T0 + DAY + 1];
    const chain = fc.constantFrom<ChainId>(1, 1, 1, 2);
    const key = fc.constantFrom('a', 'b', '../c');
    const op = fc.oneof(
      { weight: 5, arbitrary: fc.record({ t: fc.constant('put' as const), i: fc.nat(9), chain, time: fc.constantFrom(...times), kind: fc.nat(255), len: fc.nat(60) }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('get' as const), i: fc.nat(9) }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('prune' as const), chain, time: fc.constantFrom(...times, T0 + 0.5, T0 + DAY, -Infinity, Infinity) }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('list' as const), chain, from: fc.constantFrom(...times, -Infinity), to: fc.constantFrom(...times, Infinity) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('set' as const), k: key, v: fc.uint8Array({ maxLength: 8 }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('del' as const), k: key }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('reopen' as const) }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40, size: 'max' }), async (ops) => {
        const fresh = await h.fresh();
        let s = fresh.store;
        const model = new Map<string, { m: BlockMeta; b: Uint8Array }>();
        const values = new Map<string, Uint8Array>();
        const sorted = (chain: ChainId) => [...model.values()].map((x) => x.m).filter((m) => m.chain === chain).sort((a, b) => a.time - b.time || compare(a.id, b.id));
        try {
          for (const o of ops) {
            if (o.t === 'put') {
              const m = meta(id(o.i), o.chain, o.time, o.kind);
              const b = body(o.i * 7 + o.len, o.len);
              await s.putBlock(m, b);
              if (!model.has(toHex(m.id))) model.set(toHex(m.id), { m, b });
            } else if (o.t === 'get') {
              assert.deepEqual(await s.getBlock(id(o.i)), model.get(toHex(id(o.i)))?.b);
              assert.equal(await s.hasBlock(id(o.i)), model.has(toHex(id(o.i))));
            } else if (o.t === 'prune') {
              const gone = sorted(o.chain).filter((m) => m.time < o.time);
              for (const m of gone) model.delete(toHex(m.id));
              assert.equal(await s.deleteBlocksBefore(o.chain, o.time), gone.length);
            } else if (o.t === 'list') {
              assert.deepEqual(await s.listBlocks(o.chain, o.from, o.to), sorted(o.chain).filter((m) => m.time >= o.from && m.time < o.to));
            } else if (o.t === 'set') {
              await s.setValue(o.k, o.v);
              values.set(o.k, o.v.slice());
            } else if (o.t === 'del') {
              await s.deleteValue(o.k);
              values.delete(o.k);
            } else if (fresh.reopen) {
              await s.close();
              s = await fresh.reopen();
            }
          }
          assert.equal(await s.countBlocks(), model.size);
          for (const c of [1, 2] as const) assert.equal(await s.countBlocks(c), sorted(c).length);
          for (const k of ['a', 'b', '../c']) assert.deepEqual(await s.getValue(k), values.get(k));
          for (const { m, b } of model.values()) assert.deepEqual(await s.getBlock(m.id), b);
        } finally {
          await s.close();
          await fresh.cleanup();
        }
      }),
      { numRuns: h.name === 'file' ? 100 : 150 },
    );
  });
}

test('[idb] reopening the same database name sees blocks and values', async () => {
  const name = 'reopen-test';
  const a = await openIdbStore(name, indexedDB);
  await a.putBlock(meta(id(1), Chain.TRACING, T0), body(1));
  await a.putBlock(meta(id(2), Chain.NOTIFICATION, T0 + DAY), body(2));
  await a.setValue('seed', utf8('s'));
  await a.close();
  const b = await openIdbStore(name, indexedDB);
  assert.equal(await b.countBlocks(), 2);
  assert.deepEqual(await b.getBlock(id(2)), body(2));
  assert.deepEqual(await b.listBlocks(Chain.TRACING, 0, Infinity), [meta(id(1), Chain.TRACING, T0)]);
  assert.deepEqual(await b.getValue('seed'), utf8('s'));
  await b.close();
  await assert.rejects(openIdbStore('', indexedDB), { name: 'TypeError', message: /name must be a non-empty string/ });
});

// ---- file store only ----

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'beeptrace-fstore-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const LEN = 100; // block body length in these tests
const FRAME = 8 + 42 + LEN; // header + meta + body
const SEG = (chain: number, day: number) => join('blocks', `${chain}-${new Date(day).toISOString().slice(0, 10)}.seg`);

/** Three blocks on chain 1, day T0, then closed. */
async function threeBlocks(dir: string): Promise<void> {
  const s = await openFileStore(dir);
  for (let i = 1; i <= 3; i++) await s.putBlock(meta(id(i), Chain.TRACING, T0 + i), body(i, LEN));
  await s.close();
}
async function reopenList(dir: string): Promise<{ s: FileStore; ids: number[] }> {
  const s = await openFileStore(dir);
  return { s, ids: (await s.listBlocks(Chain.TRACING, 0, Infinity)).map((m) => m.id[0]) };
}

test('[file] openFileStore refuses a bad dir with a message naming it', () =>
  withDir(async (dir) => {
    await assert.rejects(openFileStore(''), { name: 'TypeError', message: /dir must be a non-empty path string/ });
    const file = join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    await assert.rejects(openFileStore(file), (e: Error) => e.message.startsWith(`openFileStore: cannot open ${file}:`));
  }));

test('[file] crc32 (native and portable) matches the standard check value and each other', () => {
  for (const f of [crc32, crc32Portable]) {
    assert.equal(f(utf8('123456789')), 0xcbf43926);
    assert.equal(f(new Uint8Array(0)), 0);
  }
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => crc32(b) === crc32Portable(b)), { numRuns: 200 });
});

test('[file] layout: one segment per (chain, UTC day); reopen after close keeps blocks, values and prunes', () =>
  withDir(async (dir) => {
    const s = await openFileStore(dir);
    await s.putBlock(meta(id(1), Chain.TRACING, T0 + 1), body(1, LEN));
    await s.putBlock(meta(id(2), Chain.TRACING, T0 + DAY), body(2, LEN));
    await s.putBlock(meta(id(3), Chain.NOTIFICATION, T0 + 2), body(3, LEN));
    await s.putBlock(meta(id(4), Chain.TRACING, T0 + 2 * DAY), body(4, LEN));
    await s.setValue('../x', utf8('v'));
    assert.deepEqual((await readdir(join(dir, 'blocks'))).sort(), ['1-2024-05-01.seg', '1-2024-05-02.seg', '1-2024-05-03.seg', '2-2024-05-01.seg']);
    assert.equal((await stat(join(dir, SEG(1, T0)))).size, FRAME);
    assert.equal(await s.deleteBlocksBefore(Chain.TRACING, T0 + DAY + 1), 2);
    assert.deepEqual((await readdir(join(dir, 'blocks'))).sort(), ['1-2024-05-03.seg', '2-2024-05-01.seg'], 'old and emptied segments are deleted');
    await s.close();
    const { s: r, ids } = await reopenList(dir);
    assert.deepEqual(ids, [4]);
    assert.deepEqual(await r.getBlock(id(3)), body(3, LEN));
    assert.deepEqual(await r.getValue('../x'), utf8('v'));
    assert.deepEqual(r.recovery, { truncated: [], skipped: [] });
    await r.close();
  }));

test('[file] pruning inside a day rewrites that segment; survives reopen', () =>
  withDir(async (dir) => {
    const s = await openFileStore(dir);
    const times = [30, 10, 50, 20, 40]; // appended out of time order: pruned records sit between kept ones
    for (let i = 1; i <= 5; i++) await s.putBlock(meta(id(i), Chain.TRACING, T0 + times[i - 1]), body(i, LEN));
    assert.equal(await s.deleteBlocksBefore(Chain.TRACING, T0 + 25), 2);
    assert.equal((await stat(join(dir, SEG(1, T0)))).size, 3 * FRAME, 'the segment file shrank');
    for (const i of [1, 3, 5]) assert.deepEqual(await s.getBlock(id(i)), body(i, LEN), `block ${i} readable at its new offset`);
    assert.equal(await s.getBlock(id(2)), undefined);
    await s.putBlock(meta(id(6), Chain.TRACING, T0 + 1000), body(6, LEN));
    await s.close();
    const { s: r, ids } = await reopenList(dir);
    assert.deepEqual(ids, [1, 5, 3, 6]);
    assert.deepEqual(await r.getBlock(id(6)), body(6, LEN));
    assert.equal((await readdir(join(dir, 'blocks'))).some((n) => n.endsWith('.tmp')), false);
    await r.close();
  }));

test('[file] torn tail (file cut short) → reopen keeps complete records, truncates the torn one, appends fine', () =>
  withDir(async (dir) => {
    await threeBlocks(dir);
    await truncate(join(dir, SEG(1, T0)), 3 * FRAME - 5);
    const { s, ids } = await reopenList(dir);
    assert.deepEqual(ids, [1, 2]);
    assert.equal(s.recovery.truncated.length, 1);
    assert.match(s.recovery.truncated[0].reason, /past end of file/);
    assert.equal(s.recovery.truncated[0].at, 2 * FRAME);
    assert.equal((await stat(join(dir, SEG(1, T0)))).size, 2 * FRAME);
    await s.putBlock(meta(id(3), Chain.TRACING, T0 + 3), body(3, LEN));
    await s.close();
    const again = await reopenList(dir);
    assert.deepEqual(again.ids, [1, 2, 3]);
    assert.deepEqual(await again.s.getBlock(id(3)), body(3, LEN));
    assert.deepEqual(again.s.recovery.truncated, []);
    await again.s.close();
  }));

test('[file] garbage appended after the last record (short and long) is truncated away', () =>
  withDir(async (dir) => {
    await threeBlocks(dir);
    const path = join(dir, SEG(1, T0));
    for (const junk of [Uint8Array.of(1, 2, 3), Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 255), new Uint8Array(300)]) {
      await appendFile(path, junk);
      const { s, ids } = await reopenList(dir);
      assert.deepEqual(ids, [1, 2, 3], `after ${junk.length} junk bytes`);
      assert.equal(s.recovery.truncated[0].bytes, junk.length);
      await s.close();
      assert.equal((await stat(path)).size, 3 * FRAME);
    }
  }));

test('[file] a flipped byte in a middle record drops only that record (CRC); later records are kept', () =>
  withDir(async (dir) => {
    await threeBlocks(dir);
    const path = join(dir, SEG(1, T0));
    const data = await readFile(path);
    data[FRAME + 8 + 42 + 17] ^= 0x40; // inside record 2's block bytes
    await writeFile(path, data);
    const { s, ids } = await reopenList(dir);
    assert.deepEqual(ids, [1, 3]);
    assert.deepEqual(s.recovery.skipped, [{ file: '1-2024-05-01.seg', offset: FRAME, reason: 'CRC mismatch' }]);
    assert.deepEqual(s.recovery.truncated, []);
    assert.equal(await s.getBlock(id(2)), undefined);
    await s.putBlock(meta(id(2), Chain.TRACING, T0 + 2), body(2, LEN)); // can be stored again
    assert.deepEqual(await s.getBlock(id(2)), body(2, LEN));
    await s.close();
  }));

test('[file] a flipped byte in the last record is a torn write: truncated', () =>
  withDir(async (dir) => {
    await threeBlocks(dir);
    const path = join(dir, SEG(1, T0));
    const data = await readFile(path);
    data[3 * FRAME - 1] ^= 1;
    await writeFile(path, data);
    const { s, ids } = await reopenList(dir);
    assert.deepEqual(ids, [1, 2]);
    assert.match(s.recovery.truncated[0].reason, /last record fails its CRC/);
    await s.close();
  }));

test('[file] corruption after open is caught by getBlock with a message naming the block', () =>
  withDir(async (dir) => {
    await threeBlocks(dir);
    const s = await openFileStore(dir);
    const path = join(dir, SEG(1, T0));
    const data = await readFile(path);
    data[8 + 42 + 3] ^= 1;
    await writeFile(path, data);
    await assert.rejects(s.getBlock(id(1)), new RegExp(`block ${toHex(id(1))} .* fails its length/CRC/id check`));
    assert.deepEqual(await s.getBlock(id(2)), body(2, LEN));
    await s.close();
  }));

test('[file] value keys never leave values/: ../x, a/b, absolute paths', () =>
  withDir(async (dir) => {
    const s = await openFileStore(join(dir, 'node'));
    const keys = ['../x', 'a/b', '../../etc/passwd', '/abs', '..', '.', 'a\\..\\..\\b', 'nul\u0000byte'];
    for (const k of keys) await s.setValue(k, utf8(k));
    await s.close();
    assert.deepEqual(await readdir(dir), ['node'], 'nothing written next to the store dir');
    assert.deepEqual((await readdir(join(dir, 'node'))).sort(), ['blocks', 'values']);
    const files = await readdir(join(dir, 'node', 'values'));
    assert.equal(files.length, keys.length);
    for (const f of files) assert.match(f, /^[0-9a-f]+\.val$/);
    const r = await openFileStore(join(dir, 'node'));
    for (const k of keys) assert.deepEqual(await r.getValue(k), utf8(k));
    await r.close();
  }));

test('[file] close() waits for puts still in flight; they are on disk after reopen', () =>
  withDir(async (dir) => {
    const s = await openFileStore(dir);
    const puts = [1, 2, 3].map((i) => s.putBlock(meta(id(i), Chain.NOTIFICATION, T0 + i), body(i, LEN)));
    const setting = s.setValue('k', utf8('v'));
    await s.close();
    await Promise.all([...puts, setting]);
    await assert.rejects(s.putBlock(meta(id(4), Chain.NOTIFICATION, T0), body(4)), /FileStore\.putBlock: store at .* is closed/);
    const r = await openFileStore(dir);
    assert.deepEqual(hexes(await r.listBlocks(Chain.NOTIFICATION, 0, Infinity)), [1, 2, 3].map((i) => toHex(id(i))));
    assert.deepEqual(await r.getValue('k'), utf8('v'));
    await r.close();
  }));

test('[file] many concurrent puts are group-committed and all survive reopen', () =>
  withDir(async (dir) => {
    const s = await openFileStore(dir);
    const n = 2000;
    await Promise.all(Array.from({ length: n }, (_, i) => s.putBlock(meta(id(i & 255, i), (1 + (i % 2)) as ChainId, T0 + (i % 3) * DAY + i), body(i, 200))));
    assert.equal(await s.countBlocks(), n);
    await s.close();
    const r = await openFileStore(dir);
    assert.equal(await r.countBlocks(), n);
    assert.equal(await r.countBlocks(Chain.TRACING), n / 2);
    assert.deepEqual(await r.getBlock(id(1777 & 255, 1777)), body(1777, 200));
    assert.equal((await readdir(join(dir, 'blocks'))).length, 6);
    await r.close();
  }));
