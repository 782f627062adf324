/**
 * Block envelope (docs/PROTOCOL.md §Block). Every block carries exactly one record; the
 * record's signature is the block's signature and covers the whole envelope (parents, time).
 *
 *   u8  version = 1
 *   u8  chain (1 tracing, 2 notification)
 *   u8  kind (record type, Kind)
 *   u16 region
 *   u32 time, seconds since the Unix epoch
 *   u8  parent count (0..4), then per parent: 32-byte block id ‖ u32 parent time
 *   [32 signer public key]           only for role-signed kinds (ROLE_SIGNED)
 *   u32 body length ‖ body           (≤ MAX_BODY[kind])
 *   u64 proof-of-work nonce
 *   [64 Ed25519 signature]           absent for anonymous kinds (self-report)
 *
 * id = SHA-256(all bytes). The signature signs "BeepTrace/block/v1" ‖ bytes[0 .. end of nonce].
 * Proof of work: SHA-256("BeepTrace/pow/v1" ‖ SHA-256(bytes[0 .. start of nonce]) ‖ nonce)
 * has at least `bits` leading zero bits.
 *
 * @example
 * const bytes = sealBlock(c, { chain, kind, region, time, parents, signer, body }, { powBits: 8, secretKey });
 * const block = decodeBlock(bytes);
 * @module
 */
import { CodecError } from '../errors.ts';
import { Reader, Writer } from './wire.ts';
import { concat, utf8 } from '../bytes.ts';
import type { CryptoProvider } from '../crypto.ts';
import type { ChainId } from '../types.ts';

export const BLOCK_VERSION = 1;

/** Record kinds. */
export const Kind = {
  TRACE_BATCH: 1,
  DIAGNOSIS: 2,
  SELF_REPORT: 3,
  WITHDRAWAL: 4,
  NOTIFICATION: 5,
  CERTIFICATE: 6,
  REVOCATION: 7,
  EPOCH_KEY: 8,
  POLICY: 9,
  CHECKPOINT: 10,
} as const;
export type KindCode = (typeof Kind)[keyof typeof Kind];
export const KIND_NAME: Record<number, string> = Object.fromEntries(Object.entries(Kind).map(([k, v]) => [v, k.toLowerCase()]));

/** Kinds whose envelope names a signer (a certified role or the CA root). */
export const ROLE_SIGNED = new Set<number>([Kind.DIAGNOSIS, Kind.NOTIFICATION, Kind.CERTIFICATE, Kind.REVOCATION, Kind.EPOCH_KEY, Kind.POLICY, Kind.CHECKPOINT]);
/** Kinds with no signature at all (anonymous, protected by proof-of-work). */
export const ANONYMOUS = new Set<number>([Kind.SELF_REPORT]);

/** Largest body per kind, bytes. */
export const MAX_BODY: Record<number, number> = {
  [Kind.TRACE_BATCH]: 2_400,
  [Kind.DIAGNOSIS]: 4_000,
  [Kind.SELF_REPORT]: 4_000,
  [Kind.WITHDRAWAL]: 36,
  [Kind.NOTIFICATION]: 1_048_576,
  [Kind.CERTIFICATE]: 200,
  [Kind.REVOCATION]: 40,
  [Kind.EPOCH_KEY]: 36,
  [Kind.POLICY]: 4_098,
  [Kind.CHECKPOINT]: 81,
};
/** Which chain each kind may appear on. */
export const KIND_CHAINS: Record<number, ChainId[]> = {
  [Kind.TRACE_BATCH]: [1],
  [Kind.DIAGNOSIS]: [1],
  [Kind.SELF_REPORT]: [1],
  [Kind.WITHDRAWAL]: [1],
  [Kind.NOTIFICATION]: [2],
  [Kind.CERTIFICATE]: [2],
  [Kind.REVOCATION]: [2],
  [Kind.EPOCH_KEY]: [2],
  [Kind.POLICY]: [2],
  [Kind.CHECKPOINT]: [2],
};
export const MAX_PARENTS = 4;
/** Largest encoded block. */
export const MAX_BLOCK_BYTES = 1_048_576 + 512;

export interface ParentRef {
  id: Uint8Array;
  /** Parent's time, seconds. */
  time: number;
}

/** The fields a block author chooses. */
export interface BlockHeader {
  chain: ChainId;
  kind: KindCode;
  region: number;
  /** Seconds since the Unix epoch. */
  time: number;
  parents: ParentRef[];
  /** Signer public key, for ROLE_SIGNED kinds only. */
  signer?: Uint8Array;
  body: Uint8Array;
}

/** A decoded block. `bytes` is the canonical encoding it was decoded from. */
export interface Block extends BlockHeader {
  nonce: number;
  signature?: Uint8Array;
  bytes: Uint8Array;
  /** Bytes before the nonce (the proof-of-work prefix). */
  powPrefixLength: number;
}

const SIG_DOMAIN = utf8('BeepTrace/block/v1');
const POW_DOMAIN = utf8('BeepTrace/pow/v1');

function writeHeader(h: BlockHeader): Writer {
  const w = new Writer(h.body.length + 200);
  w.u8(BLOCK_VERSION).u8(h.chain).u8(h.kind).u16(h.region).u32(h.time);
  if (h.parents.length > MAX_PARENTS) throw new RangeError(`a block has at most ${MAX_PARENTS} parents, got ${h.parents.length}`);
  if (KIND_CHAINS[h.kind] && !KIND_CHAINS[h.kind].includes(h.chain)) throw new RangeError(`a ${KIND_NAME[h.kind]} block cannot be on chain ${h.chain}`);
  w.u8(h.parents.length);
  for (const [i, p] of h.parents.entries()) {
    w.bytes(p.id, 32).u32(p.time);
    if (i > 0 && compareIds(h.parents[i - 1].id, p.id) >= 0) throw new RangeError('block parents must be sorted by id and distinct (use sortParents)');
  }
  if (ROLE_SIGNED.has(h.kind)) {
    if (!h.signer) throw new TypeError(`kind ${KIND_NAME[h.kind]} needs a signer public key`);
    w.bytes(h.signer, 32);
  } else if (h.signer) throw new TypeError(`kind ${KIND_NAME[h.kind]} carries no signer field`);
  const max = MAX_BODY[h.kind];
  if (max === undefined) throw new RangeError(`unknown kind ${h.kind}`);
  w.lbytes(h.body, max);
  return w;
}

/** Leading zero bits of a hash. @example leadingZeroBits(new Uint8Array([0, 0x40])) === 9 */
export function leadingZeroBits(h: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < h.length; i++) {
    if (h[i] === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(h[i]) - 24;
  }
  return n;
}

function powDigest(c: CryptoProvider, prefixHash: Uint8Array, nonce: number): Uint8Array {
  // POW_DOMAIN ‖ prefixHash ‖ u64 nonce, written directly (this runs once per block on ingest
  // and up to 2^bits times when mining).
  const m = new Uint8Array(POW_DOMAIN.length + 40);
  m.set(POW_DOMAIN, 0);
  m.set(prefixHash, POW_DOMAIN.length);
  const o = POW_DOMAIN.length + 32;
  const hi = Math.floor(nonce / 2 ** 32);
  const lo = nonce >>> 0;
  m[o] = hi >>> 24; m[o + 1] = (hi >>> 16) & 255; m[o + 2] = (hi >>> 8) & 255; m[o + 3] = hi & 255;
  m[o + 4] = lo >>> 24; m[o + 5] = (lo >>> 16) & 255; m[o + 6] = (lo >>> 8) & 255; m[o + 7] = lo & 255;
  return c.sha256(m);
}

/** Proof-of-work bits a block achieves. @example powBitsOf(c, block) >= 8 */
export function powBitsOf(c: CryptoProvider, b: Block): number {
  return leadingZeroBits(powDigest(c, c.sha256(b.bytes.subarray(0, b.powPrefixLength)), b.nonce));
}

/**
 * Build, mine and sign a block. `secretKey` is the Ed25519 secret of the signer (the day key for
 * trace batches and withdrawals); omit it for anonymous kinds.
 * @example sealBlock(c, header, { powBits: 8, secretKey })
 */
export function sealBlock(c: CryptoProvider, h: BlockHeader, opts: { powBits: number; secretKey?: Uint8Array; maxTries?: number }): Uint8Array {
  const w = writeHeader(h);
  const prefix = w.finish();
  const prefixHash = c.sha256(prefix);
  const maxTries = opts.maxTries ?? 2 ** 32;
  let nonce = 0;
  while (leadingZeroBits(powDigest(c, prefixHash, nonce)) < opts.powBits) {
    if (++nonce >= maxTries) throw new RangeError(`no proof-of-work of ${opts.powBits} bits in ${maxTries} tries`);
  }
  w.u64(nonce);
  if (ANONYMOUS.has(h.kind)) {
    if (opts.secretKey) throw new TypeError(`kind ${KIND_NAME[h.kind]} is anonymous and is not signed`);
    return w.finish();
  }
  if (!opts.secretKey) throw new TypeError(`kind ${KIND_NAME[h.kind]} must be signed`);
  const signed = w.finish();
  const sig = c.ed25519Sign(opts.secretKey, concat(SIG_DOMAIN, signed));
  return concat(signed, sig);
}

/** Strict decode of a block envelope (no signature or rule checks: see ledger/rules.ts). @example decodeBlock(bytes).kind */
export function decodeBlock(bytes: Uint8Array): Block {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`block: expected Uint8Array, got ${typeof bytes}`);
  if (bytes.length > MAX_BLOCK_BYTES) throw new CodecError('too_long', `block of ${bytes.length} bytes over limit ${MAX_BLOCK_BYTES}`);
  const r = new Reader(bytes, 'block');
  const version = r.u8('version');
  if (version !== BLOCK_VERSION) throw new CodecError('version', `block version ${version} unknown (expected ${BLOCK_VERSION})`);
  const chain = r.u8('chain');
  const kind = r.u8('kind');
  if (MAX_BODY[kind] === undefined) throw new CodecError('unknown_kind', `block kind ${kind} unknown`);
  if (!KIND_CHAINS[kind].includes(chain as ChainId)) throw new CodecError('wrong_chain', `a ${KIND_NAME[kind]} block cannot be on chain ${chain}`);
  const region = r.u16('region');
  const time = r.u32('time');
  const np = r.check(r.u8('parent count'), 0, MAX_PARENTS, 'parent count');
  const parents: ParentRef[] = [];
  for (let i = 0; i < np; i++) parents.push({ id: r.bytes(32, 'parent id'), time: r.u32('parent time') });
  for (let i = 1; i < np; i++) {
    // canonical: parents sorted by id, no duplicates
    if (compareIds(parents[i - 1].id, parents[i].id) >= 0) throw new CodecError('not_canonical', 'block parents must be sorted by id and distinct');
  }
  const signer = ROLE_SIGNED.has(kind) ? r.bytes(32, 'signer') : undefined;
  const body = r.lbytes(MAX_BODY[kind], 'body');
  const powPrefixLength = r.offset;
  const nonce = r.u64('nonce');
  const signature = ANONYMOUS.has(kind) ? undefined : r.bytes(64, 'signature');
  r.end();
  return { chain: chain as ChainId, kind: kind as KindCode, region, time, parents, signer, body, nonce, signature, bytes, powPrefixLength };
}

function compareIds(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Sort parent refs canonically (by id). @example sortParents(tips) */
export function sortParents(ps: ParentRef[]): ParentRef[] {
  return [...ps].sort((a, b) => compareIds(a.id, b.id));
}

/** The message a block's signature covers. */
export function signedMessage(b: Block): Uint8Array {
  return concat(SIG_DOMAIN, b.bytes.subarray(0, b.powPrefixLength + 8));
}

/** Block id: SHA-256 of the canonical bytes. @example blockId(c, bytes).length === 32 */
export function blockId(c: CryptoProvider, bytes: Uint8Array): Uint8Array {
  return c.sha256(bytes);
}
