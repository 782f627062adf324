/**
 * Merkle trees as in Certificate Transparency: RFC 6962 §2.1 (tree hash, audit paths, consistency
 * proofs), verified with the algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2. Leaves hash as H(0x00 ‖ leaf),
 * nodes as H(0x01 ‖ left ‖ right) (domain separation, RFC 6962 §2.1), the empty tree as H('').
 * The hash function (SHA-256) is injected, so this file is pure. Builders throw RangeError for an
 * impossible index/size; verifiers return false (never throw) for any bad value — wrong hash lengths or
 * proof counts, index ≥ size, sizes that are not safe integers. Wrong JS types are TypeError everywhere.
 * Tested against the transparency-dev/merkle vectors (test/fixtures/merkle).
 * @example
 * const h = nobleCrypto.sha256;
 * const leaves = ['a', 'b', 'c'].map((s) => leafHash(h, utf8(s)));
 * const root = merkleRoot(h, leaves);
 * verifyInclusion(h, 1, 3, leaves[1], inclusionProof(h, leaves, 1), root) === true;
 * @module
 */
import { equal } from './bytes.ts';

/** A hash function (SHA-256 for RFC 6962): bytes in, digest out. */
export type HashFn = (data: Uint8Array) => Uint8Array;

const EMPTY = new Uint8Array(0);

function checkHash(hash: unknown): asserts hash is HashFn {
  if (typeof hash !== 'function') throw new TypeError(`merkle: hash must be a function, got ${typeof hash}`);
}
function checkBytes(b: unknown, name: string): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new TypeError(`merkle: ${name} must be a Uint8Array, got ${b === null ? 'null' : typeof b}`);
}
function checkList(list: unknown, name: string): asserts list is Uint8Array[] {
  if (!Array.isArray(list)) throw new TypeError(`merkle: ${name} must be an array of Uint8Array, got ${typeof list}`);
  for (let i = 0; i < list.length; i++) checkBytes(list[i], `${name}[${i}]`);
}
function checkNumber(n: unknown, name: string): asserts n is number {
  if (typeof n !== 'number') throw new TypeError(`merkle: ${name} must be a number, got ${typeof n}`);
}
/** A usable tree size or index: a non-negative safe integer. */
function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
/** Integer halving (a right shift that also works above 2^32). */
function half(n: number): number {
  return Math.floor(n / 2);
}
/** Largest power of two strictly below n, for n ≥ 2 (the split point k of RFC 6962 §2.1). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** H(0x01 ‖ left ‖ right) without argument checks (hot path). */
function node(hash: HashFn, left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + left.length + right.length);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return hash(buf);
}

/**
 * MTH(D[lo:hi]) over leaf hashes (RFC 6962 §2.1) in O(hi-lo) hashes and an O(log n) stack:
 * after the c-th leaf, merge the top two entries once per trailing zero bit of c, so the stack
 * always holds the perfect subtrees of the binary decomposition of c; finally fold them right to left.
 */
function rootOf(hash: HashFn, leaves: Uint8Array[], lo: number, hi: number): Uint8Array {
  if (hi === lo) return hash(EMPTY);
  if (hi - lo === 1) return leaves[lo].slice();
  const stack: Uint8Array[] = [];
  for (let i = lo; i < hi; i++) {
    stack.push(leaves[i]);
    for (let c = i - lo + 1; c % 2 === 0; c /= 2) {
      const right = stack.pop()!;
      stack.push(node(hash, stack.pop()!, right));
    }
  }
  let root = stack.pop()!;
  while (stack.length > 0) root = node(hash, stack.pop()!, root);
  return root;
}

/**
 * Leaf hash, RFC 6962 §2.1: MTH({d0}) = H(0x00 ‖ d0).
 * @example leafHash(nobleCrypto.sha256, new Uint8Array()) // 6e340b9c…
 */
export function leafHash(hash: HashFn, leaf: Uint8Array): Uint8Array {
  checkHash(hash);
  checkBytes(leaf, 'leaf');
  const buf = new Uint8Array(1 + leaf.length);
  buf.set(leaf, 1);
  return hash(buf);
}

/**
 * Interior node hash, RFC 6962 §2.1: H(0x01 ‖ left ‖ right).
 * @example nodeHash(h, leafHash(h, a), leafHash(h, b)) // root of the two-leaf tree [a, b]
 */
export function nodeHash(hash: HashFn, left: Uint8Array, right: Uint8Array): Uint8Array {
  checkHash(hash);
  checkBytes(left, 'left');
  checkBytes(right, 'right');
  return node(hash, left, right);
}

/**
 * Root of the empty tree, RFC 6962 §2.1: MTH({}) = H('').
 * @example toHex(emptyRoot(nobleCrypto.sha256)) // e3b0c442…b855
 */
export function emptyRoot(hash: HashFn): Uint8Array {
  checkHash(hash);
  return hash(EMPTY);
}

/**
 * Merkle Tree Hash (RFC 6962 §2.1) of a list of *already hashed* leaves (see `leafHash`).
 * O(n) hashes, O(log n) extra memory. An empty list gives `emptyRoot(hash)`.
 * @example merkleRoot(h, [leafHash(h, a), leafHash(h, b), leafHash(h, c)])
 */
export function merkleRoot(hash: HashFn, leafHashes: Uint8Array[]): Uint8Array {
  checkHash(hash);
  checkList(leafHashes, 'leafHashes');
  return rootOf(hash, leafHashes, 0, leafHashes.length);
}

/**
 * Audit path PATH(m, D[n]) of leaf `index` (RFC 6962 §2.1.1; RFC 9162 §2.1.3.1), ordered from the
 * leaf's sibling up to the root's child. Throws RangeError unless 0 ≤ index < leafHashes.length.
 * @example const proof = inclusionProof(h, leaves, 5); // verify with verifyInclusion
 */
export function inclusionProof(hash: HashFn, leafHashes: Uint8Array[], index: number): Uint8Array[] {
  checkHash(hash);
  checkList(leafHashes, 'leafHashes');
  checkNumber(index, 'index');
  const n = leafHashes.length;
  if (!isCount(index) || index >= n) {
    throw new RangeError(`inclusionProof: index ${index} out of range for a tree of ${n} leaves (need an integer 0 ≤ index < ${n})`);
  }
  // Walk down from the root; each level contributes the hash of the subtree we do not enter.
  const path: Uint8Array[] = [];
  let lo = 0;
  let hi = n;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      path.push(rootOf(hash, leafHashes, lo + k, hi)); // PATH(m, D[0:k]) : MTH(D[k:n])
      hi = lo + k;
    } else {
      path.push(rootOf(hash, leafHashes, lo, lo + k)); // PATH(m-k, D[k:n]) : MTH(D[0:k])
      lo += k;
    }
  }
  return path.reverse();
}

/**
 * Verify an inclusion proof (RFC 9162 §2.1.3.2). Returns false — never throws — for a bad proof:
 * index ≥ size, wrong proof length, hashes of the wrong length, or a root mismatch.
 * @example verifyInclusion(h, 5, leaves.length, leaves[5], inclusionProof(h, leaves, 5), merkleRoot(h, leaves)) === true
 */
export function verifyInclusion(hash: HashFn, index: number, size: number, leafHash: Uint8Array, proof: Uint8Array[], root: Uint8Array): boolean {
  checkHash(hash);
  checkNumber(index, 'index');
  checkNumber(size, 'size');
  checkBytes(leafHash, 'leafHash');
  checkList(proof, 'proof');
  checkBytes(root, 'root');
  if (!isCount(index) || !isCount(size) || index >= size) return false;
  const len = hash(EMPTY).length;
  if (leafHash.length !== len || root.length !== len || proof.some((p) => p.length !== len)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false; // proof longer than the path
    if (fn % 2 === 1 || fn === sn) {
      r = node(hash, p, r);
      while (fn % 2 === 0 && fn !== 0) { fn = half(fn); sn = half(sn); } // skip levels with no sibling
    } else {
      r = node(hash, r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(r, root); // sn ≠ 0: proof shorter than the path
}

/**
 * Consistency proof PROOF(m, D[n]) between the first `oldSize` leaves and all of them
 * (RFC 6962 §2.1.2; RFC 9162 §2.1.4.1). Empty when oldSize = n. Throws RangeError unless
 * 0 < oldSize ≤ n (or oldSize = n = 0): a proof from the empty tree is meaningless.
 * @example const proof = consistencyProof(h, leaves, 3); // verify with verifyConsistency
 */
export function consistencyProof(hash: HashFn, leafHashes: Uint8Array[], oldSize: number): Uint8Array[] {
  checkHash(hash);
  checkList(leafHashes, 'leafHashes');
  checkNumber(oldSize, 'oldSize');
  const n = leafHashes.length;
  if (!isCount(oldSize) || oldSize > n) {
    throw new RangeError(`consistencyProof: oldSize ${oldSize} out of range for a tree of ${n} leaves (need an integer 0 < oldSize ≤ ${n})`);
  }
  if (oldSize === 0 && n > 0) throw new RangeError('consistencyProof: oldSize 0: a consistency proof from the empty tree is meaningless');
  // SUBPROOF(m, D[lo:hi], b), walked from the root down; m counts old leaves inside [lo, hi).
  const out: Uint8Array[] = [];
  let lo = 0;
  let hi = n;
  let m = oldSize;
  let whole = true; // the b flag: is D[lo:lo+m] still the whole old tree (whose root the verifier has)?
  while (m !== hi - lo) {
    const k = splitPoint(hi - lo);
    if (m <= k) {
      out.push(rootOf(hash, leafHashes, lo + k, hi)); // SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
      hi = lo + k;
    } else {
      out.push(rootOf(hash, leafHashes, lo, lo + k)); // SUBPROOF(m-k, D[k:n], false) : MTH(D[0:k])
      lo += k;
      m -= k;
      whole = false;
    }
  }
  if (!whole) out.push(rootOf(hash, leafHashes, lo, hi)); // SUBPROOF(m, D[m], false) = {MTH(D[m])}
  return out.reverse();
}

/**
 * Verify a consistency proof between trees of size1 ≤ size2 (RFC 9162 §2.1.4.2). Returns false —
 * never throws — for a bad proof. For size1 = size2 the proof must be empty and the roots equal
 * (compared as opaque bytes, as transparency-dev/merkle does); for size 0 they must be H('').
 * size1 = 0 < size2 is rejected: nothing can be proven from the empty tree.
 * @example verifyConsistency(h, 3, 8, consistencyProof(h, leaves, 3), merkleRoot(h, leaves.slice(0, 3)), merkleRoot(h, leaves)) === true
 */
export function verifyConsistency(hash: HashFn, size1: number, size2: number, proof: Uint8Array[], root1: Uint8Array, root2: Uint8Array): boolean {
  checkHash(hash);
  checkNumber(size1, 'size1');
  checkNumber(size2, 'size2');
  checkList(proof, 'proof');
  checkBytes(root1, 'root1');
  checkBytes(root2, 'root2');
  if (!isCount(size1) || !isCount(size2) || size1 > size2) return false;
  if (size1 === size2) {
    if (proof.length !== 0 || !equal(root1, root2)) return false;
    return size1 !== 0 || equal(root1, hash(EMPTY));
  }
  if (size1 === 0 || proof.length === 0) return false;
  const len = hash(EMPTY).length;
  if (root1.length !== len || root2.length !== len || proof.some((p) => p.length !== len)) return false;
  // Step 2: if size1 is a power of two, the old root is itself a node on the path.
  const path = size1 === 1 || splitPoint(size1) * 2 === size1 ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) { fn = half(fn); sn = half(sn); } // step 4
  let fr = path[0];
  let sr = path[0];
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (sn === 0) return false; // proof too long
    if (fn % 2 === 1 || fn === sn) {
      fr = node(hash, c, fr);
      sr = node(hash, c, sr);
      while (fn % 2 === 0 && fn !== 0) { fn = half(fn); sn = half(sn); }
    } else {
      sr = node(hash, sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(fr, root1) && equal(sr, root2);
}
