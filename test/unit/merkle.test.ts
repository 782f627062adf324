import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { nobleCrypto } from '../../src/core/crypto.ts';
import { fromHex, toHex, utf8 } from '../../src/core/bytes.ts';
import {
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  merkleRoot,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from '../../src/core/merkle.ts';

const h = nobleCrypto.sha256;
const FIXTURES = fileURLToPath(new URL('../fixtures/merkle/', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Reference implementations: the recursive definitions of RFC 6962 §2.1, §2.1.1 and §2.1.2, literally.

function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function refRoot(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return h(new Uint8Array());
  if (d.length === 1) return d[0];
  const k = splitPoint(d.length);
  return nodeHash(h, refRoot(d.slice(0, k)), refRoot(d.slice(k)));
}
function refPath(m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  const k = splitPoint(d.length);
  return m < k ? [...refPath(m, d.slice(0, k)), refRoot(d.slice(k))] : [...refPath(m - k, d.slice(k)), refRoot(d.slice(0, k))];
}
function refSubproof(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [refRoot(d)];
  const k = splitPoint(d.length);
  return m <= k
    ? [...refSubproof(m, d.slice(0, k), b), refRoot(d.slice(k))]
    : [...refSubproof(m - k, d.slice(k), false), refRoot(d.slice(0, k))];
}

const hex = (list: Uint8Array[]) => list.map(toHex);
const flipBit = (b: Uint8Array, bit: number) => {
  const c = b.slice();
  c[bit >> 3] ^= 1 << (bit & 7);
  return c;
};
/** Copy of `proof` with one bit flipped, `bit` counted across the concatenated proof bytes. */
function flipProofBit(proof: Uint8Array[], bit: number): Uint8Array[] {
  const per = proof[0].length * 8;
  return proof.map((p, i) => (i === Math.floor(bit / per) ? flipBit(p, bit % per) : p));
}
const leavesOf = (data: Uint8Array[]) => data.map((d) => leafHash(h, d));

// The RFC 6962 test leaves behind the numbered vector trees (transparency-dev/merkle testonly).
const RFC_LEAVES = leavesOf(['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(fromHex));

// ---------------------------------------------------------------------------------------------
// Vectors: test/fixtures/merkle/{inclusion,consistency}/**.json (see the README there).

type Raw = Record<string, unknown>;
interface Vector { rel: string; v: Raw; unsafe: string[] }

function b64(s: unknown): Uint8Array {
  assert.equal(typeof s, 'string');
  return Uint8Array.from(atob(s as string), (c) => c.charCodeAt(0));
}
function loadVectors(kind: 'inclusion' | 'consistency'): Vector[] {
  const root = join(FIXTURES, kind);
  const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.json')).sort();
  return files.map((f) => {
    const text = readFileSync(join(root, f), 'utf8');
    // Go uint64 fields may exceed 2^53 (e.g. 0 - 1 = 2^64 - 1); note which ones lost precision.
    const unsafe = [...text.matchAll(/"(\w+)":\s*(\d+)/g)].filter((m) => BigInt(m[2]) > BigInt(Number.MAX_SAFE_INTEGER)).map((m) => m[1]);
    return { rel: relative(FIXTURES, join(root, f)), v: JSON.parse(text) as Raw, unsafe };
  });
}
const proofOf = (v: Raw) => ((v.proof ?? []) as string[]).map(b64); // Go's nil slice is JSON null

const inclusionVectors = loadVectors('inclusion');
const consistencyVectors = loadVectors('consistency');

test('fixture set is complete: 98 inclusion + 98 consistency vectors, 6 + 6 of them valid', () => {
  assert.equal(inclusionVectors.length, 98);
  assert.equal(consistencyVectors.length, 98);
  assert.equal(inclusionVectors.filter((x) => x.v.wantErr === false).length, 6);
  assert.equal(consistencyVectors.filter((x) => x.v.wantErr === false).length, 6);
  for (const x of [...inclusionVectors, ...consistencyVectors]) assert.equal(typeof x.v.wantErr, 'boolean', x.rel);
});

for (const { rel, v, unsafe } of inclusionVectors) {
  test(`inclusion vector ${rel} (${v.desc}): ${v.wantErr ? 'rejected' : 'verifies'}`, () => {
    const [index, size] = [v.leafIdx as number, v.treeSize as number];
    // An index that does not fit a JS number must be a rejected vector, and stays unsafe after parsing.
    for (const f of unsafe) assert.ok(v.wantErr === true && !Number.isSafeInteger(v[f]), `${f} unsafe`);
    const ok = verifyInclusion(h, index, size, b64(v.leafHash), proofOf(v), b64(v.root));
    assert.equal(ok, !v.wantErr);
  });
}

for (const { rel, v, unsafe } of consistencyVectors) {
  test(`consistency vector ${rel} (${v.desc}): ${v.wantErr ? 'rejected' : 'verifies'}`, () => {
    assert.deepEqual(unsafe, []);
    const ok = verifyConsistency(h, v.size1 as number, v.size2 as number, proofOf(v), b64(v.root1), b64(v.root2));
    assert.equal(ok, !v.wantErr);
  });
}

test('known answers: builders reproduce every happy-path vector of the RFC 6962 test tree', () => {
  const roots = new Map<number, string>();
  let checked = 0;
  for (const { rel, v } of inclusionVectors.filter((x) => /^inclusion\/\d+\/happy-path\.json$/.test(x.rel))) {
    const [i, n] = [v.leafIdx as number, v.treeSize as number];
    const tree = RFC_LEAVES.slice(0, n);
    assert.equal(toHex(tree[i]), toHex(b64(v.leafHash)), rel);
    assert.deepEqual(hex(inclusionProof(h, tree, i)), hex(proofOf(v)), rel);
    roots.set(n, toHex(b64(v.root)));
    checked++;
  }
  for (const { rel, v } of consistencyVectors.filter((x) => /^consistency\/\d+\/happy-path\.json$/.test(x.rel))) {
    const [m, n] = [v.size1 as number, v.size2 as number];
    assert.deepEqual(hex(consistencyProof(h, RFC_LEAVES.slice(0, n), m)), hex(proofOf(v)), rel);
    roots.set(m, toHex(b64(v.root1))).set(n, toHex(b64(v.root2)));
    checked++;
  }
  assert.equal(checked, 10);
  assert.deepEqual([...roots.keys()].sort(), [1, 2, 3, 5, 6, 7, 8]);
  for (const [n, root] of roots) assert.equal(toHex(merkleRoot(h, RFC_LEAVES.slice(0, n))), root, `size ${n}`);
});

test('known answers: hash primitives (RFC 6962 §2.1 domain separation)', () => {
  assert.equal(toHex(emptyRoot(h)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(toHex(merkleRoot(h, [])), toHex(emptyRoot(h)));
  assert.equal(toHex(leafHash(h, new Uint8Array())), '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  const [a, b] = [RFC_LEAVES[0], RFC_LEAVES[1]];
  assert.equal(toHex(nodeHash(h, a, b)), toHex(h(Uint8Array.from([1, ...a, ...b]))));
  assert.equal(toHex(nodeHash(h, a, b)), 'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125');
  assert.equal(toHex(leafHash(h, utf8('x'))), toHex(h(Uint8Array.from([0, 0x78]))));
});

// ---------------------------------------------------------------------------------------------
// Properties over random trees.

// Leaf data is prefixed with its index so leaves are distinct: with equal leaves some mutations (another
// index, a bigger size) legitimately still verify, since a proof cannot tell equal subtrees apart.
const treeArb = (min: number, max: number) =>
  fc
    .array(fc.uint8Array({ maxLength: 12 }), { minLength: min, maxLength: max })
    .map((data) => leavesOf(data.map((d, i) => Uint8Array.of(i >> 8, i & 255, ...d))));

test('property: merkleRoot and both builders equal the recursive RFC 6962 definitions; n-1 node hashes', () => {
  fc.assert(
    fc.property(treeArb(0, 300), fc.nat(), (leaves, r) => {
      let calls = 0;
      const counting = (d: Uint8Array) => (calls++, h(d));
      const root = merkleRoot(counting, leaves);
      assert.equal(toHex(root), toHex(refRoot(leaves)));
      assert.equal(calls, leaves.length === 0 ? 1 : leaves.length - 1); // O(n): one hash per interior node
      if (leaves.length === 0) return;
      const i = r % leaves.length;
      assert.deepEqual(hex(inclusionProof(h, leaves, i)), hex(refPath(i, leaves)));
      const m = (r % leaves.length) + 1;
      assert.deepEqual(hex(consistencyProof(h, leaves, m)), hex(refSubproof(m, leaves, true)));
    }),
    { numRuns: 60 },
  );
});

// Note: a proof does not bind the tree size by itself (e.g. leaf 0 of 3 leaves and of 4 leaves whose right
// half hashes to leaf 2 have the same path), so size mutations are only checked on the vectors' trees.
test('property: inclusion proofs verify, and fail with any proof bit flipped or a wrong leaf/index/root/length', () => {
  fc.assert(
    fc.property(treeArb(1, 300), fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), fc.nat(), (leaves, picks, bit) => {
      const n = leaves.length;
      const root = merkleRoot(h, leaves);
      for (const i of [0, n - 1, ...picks.map((p) => p % n)]) {
        const proof = inclusionProof(h, leaves, i);
        assert.equal(verifyInclusion(h, i, n, leaves[i], proof, root), true);
        if (proof.length > 0) assert.equal(verifyInclusion(h, i, n, leaves[i], flipProofBit(proof, bit % (proof.length * 256)), root), false);
        assert.equal(verifyInclusion(h, i, n, flipBit(leaves[i], bit % 256), proof, root), false);
        assert.equal(verifyInclusion(h, i, n, leaves[i], proof, flipBit(root, bit % 256)), false);
        assert.equal(verifyInclusion(h, i, n, leaves[i], [...proof, root], root), false);
        if (n > 1) assert.equal(verifyInclusion(h, (i + 1) % n, n, leaves[i], proof, root), false);
      }
    }),
    { numRuns: 40 },
  );
});

test('exhaustive: trees of 1..24 leaves, every index, every single proof bit flipped fails', () => {
  for (let n = 1; n <= 24; n++) {
    const leaves = leavesOf(Array.from({ length: n }, (_, i) => Uint8Array.of(i)));
    const root = merkleRoot(h, leaves);
    for (let i = 0; i < n; i++) {
      const proof = inclusionProof(h, leaves, i);
      assert.equal(verifyInclusion(h, i, n, leaves[i], proof, root), true, `n=${n} i=${i}`);
      for (let bit = 0; bit < proof.length * 256; bit++) {
        assert.equal(verifyInclusion(h, i, n, leaves[i], flipProofBit(proof, bit), root), false, `n=${n} i=${i} bit=${bit}`);
      }
    }
  }
});

test('property: consistency proofs verify for m ≤ n, and fail for a wrong old/new root, flipped bit, bad length or swapped sizes', () => {
  fc.assert(
    fc.property(treeArb(1, 300), fc.nat(), fc.nat(), (leaves, r, bit) => {
      const n = leaves.length;
      const m = (r % n) + 1;
      const [root1, root2] = [merkleRoot(h, leaves.slice(0, m)), merkleRoot(h, leaves)];
      const proof = consistencyProof(h, leaves, m);
      assert.equal(verifyConsistency(h, m, n, proof, root1, root2), true);
      assert.equal(verifyConsistency(h, m, n, proof, flipBit(root1, bit % 256), root2), false);
      assert.equal(verifyConsistency(h, m, n, proof, root1, flipBit(root2, bit % 256)), false);
      if (proof.length > 0) assert.equal(verifyConsistency(h, m, n, flipProofBit(proof, bit % (proof.length * 256)), root1, root2), false);
      if (m < n) {
        assert.equal(verifyConsistency(h, m, n, proof, leaves[0].map((x) => x ^ 0xff), root2), false);
        assert.equal(verifyConsistency(h, m, n, proof.slice(1), root1, root2), false);
        assert.equal(verifyConsistency(h, m, n, [...proof, root2], root1, root2), false);
        assert.equal(verifyConsistency(h, n, m, proof, root2, root1), false);
      }
    }),
    { numRuns: 80 },
  );
});

test('merkleRoot of 1,000,000 leaves: O(n), matches a level-by-level reference pinned here', () => {
  const n = 1_000_000;
  const all = new Uint8Array(32 * n);
  for (let i = 0; i < n; i++) all.set([i & 255, (i >>> 8) & 255, i >>> 16], 32 * i);
  const leaves = Array.from({ length: n }, (_, i) => all.subarray(32 * i, 32 * i + 32));
  const t = performance.now();
  const root = merkleRoot(h, leaves);
  const ms = performance.now() - t;
  // Computed once with a level-by-level build (odd last node promoted, RFC 6962 §2.1), which agreed.
  assert.equal(toHex(root), 'cd62673d38974cd6a777dbda0e28a7256d52b2debfdd86d73bebcb9650cfbc4a');
  assert.ok(ms < 60_000, `took ${ms} ms`);
});

test('builders: RangeError for bad index/size, TypeError for wrong types', () => {
  const leaves = RFC_LEAVES.slice(0, 5);
  for (const bad of [-1, 5, 1.5, NaN, Infinity]) {
    assert.throws(() => inclusionProof(h, leaves, bad), (e: Error) => e instanceof RangeError && /index .* out of range for a tree of 5 leaves/.test(e.message));
  }
  assert.throws(() => inclusionProof(h, [], 0), RangeError);
  for (const bad of [-1, 6, 2.5]) {
    assert.throws(() => consistencyProof(h, leaves, bad), (e: Error) => e instanceof RangeError && /oldSize .* out of range/.test(e.message));
  }
  assert.throws(() => consistencyProof(h, leaves, 0), /empty tree is meaningless/);
  assert.deepEqual(consistencyProof(h, [], 0), []);
  assert.deepEqual(consistencyProof(h, leaves, 5), []);
  const any = (x: unknown) => x as never;
  assert.throws(() => leafHash(h, any('leaf')), TypeError);
  assert.throws(() => nodeHash(h, leaves[0], any([1, 2])), TypeError);
  assert.throws(() => merkleRoot(h, any([leaves[0], 'x'])), /leafHashes\[1\] must be a Uint8Array/);
  assert.throws(() => merkleRoot(any(null), leaves), TypeError);
  assert.throws(() => inclusionProof(h, leaves, any('1')), TypeError);
  assert.throws(() => verifyInclusion(h, 0, 1, any(null), [], leaves[0]), TypeError);
  assert.throws(() => verifyConsistency(h, 1, 2, any(['x']), leaves[0], leaves[1]), TypeError);
});

test('verifiers return false (never throw) on malformed values', () => {
  const leaves = RFC_LEAVES.slice(0, 6);
  const root = merkleRoot(h, leaves);
  const proof = inclusionProof(h, leaves, 2);
  for (const [i, n] of [[-1, 6], [6, 6], [2, 0], [1.5, 6], [2, 6.5], [2, NaN], [2, 2 ** 64], [2 ** 53, 2 ** 53 + 2]]) {
    assert.equal(verifyInclusion(h, i, n, leaves[2], proof, root), false, `${i}/${n}`);
  }
  assert.equal(verifyInclusion(h, 2, 6, leaves[2], [proof[0].subarray(1), ...proof.slice(1)], root), false);
  assert.equal(verifyInclusion(h, 2, 6, leaves[2], proof, root.subarray(0, 31)), false);
  assert.equal(verifyInclusion(h, 0, 1, new Uint8Array(), [], new Uint8Array()), false);
  const cproof = consistencyProof(h, leaves, 3);
  const root3 = merkleRoot(h, leaves.slice(0, 3));
  assert.equal(verifyConsistency(h, 3, 6, cproof, root3, root), true);
  for (const [m, n] of [[-1, 6], [3, 6.5], [0, 6], [7, 6], [3, 2 ** 64]]) {
    assert.equal(verifyConsistency(h, m, n, cproof, root3, root), false, `${m}/${n}`);
  }
  assert.equal(verifyConsistency(h, 3, 6, [], root3, root), false);
  assert.equal(verifyConsistency(h, 3, 6, cproof.map((p) => p.subarray(0, 16)), root3, root), false);
  assert.equal(verifyConsistency(h, 0, 0, [], emptyRoot(h), emptyRoot(h)), true);
  assert.equal(verifyConsistency(h, 0, 0, [], root, root), false);
  assert.equal(verifyConsistency(h, 6, 6, [], root, root), true);
  assert.equal(verifyConsistency(h, 6, 6, [root], root, root), false);
});
