/**
 * The one codec for every network message (docs/NET.md §Frames). Binary, big-endian, written with
 * the core's strict Reader/Writer: a frame is at most MAX_FRAME = 16 KiB, every field has a range,
 * lists are sorted and duplicate-free, and trailing or missing bytes are a CodecError — so every
 * frame has exactly one encoding, and a malformed frame is always a typed error, never a crash.
 *
 * Frame set: HELLO, BYE, INV, GET, BLOCK (chunks; the UPLOAD flag marks a thin node's own block),
 * NOTFOUND, SYNC (range-based set reconciliation), RECEIPT (answer to an UPLOAD), PROVE and PROOF
 * (a thin node asks for the inclusion proof of its upload in a checkpoint; docs/NET.md §Upload
 * retention), AUTH (a certified full node proves its key on this connection: auth.ts).
 *
 * Blocks larger than one frame travel as numbered chunks of CHUNK_BYTES; `Reassembler` puts them
 * back together with a bounded buffer (MAX_PARTIAL_BYTES per peer).
 *
 * @example
 * const bytes = encodeFrame({ type: 'get', ids: sortIds([id]) });
 * const f = decodeFrame(bytes); // { type: 'get', ids: [id] }
 * @module
 */
import { Reader, Writer } from '../core/codec/wire.ts';
import { BeepTraceError, CodecError } from '../core/errors.ts';
import { compare, fromUtf8, toHex, utf8 } from '../core/bytes.ts';
import { MAX_BLOCK_BYTES } from '../core/codec/block.ts';
import { Chain, type ChainId } from '../core/types.ts';

/** Version carried in HELLO. @example hello.version === PROTOCOL_VERSION */
export const PROTOCOL_VERSION = 1;
/** Largest frame, bytes (type byte included). @example bytes.length <= MAX_FRAME */
export const MAX_FRAME = 16_384;
/** Most ids in one INV, GET, NOTFOUND or SYNC id list. @example ids.length <= MAX_IDS */
export const MAX_IDS = 256;
/** BLOCK frame header: type, flags, id, total, index. @example CHUNK_BYTES + BLOCK_HEADER_BYTES === MAX_FRAME */
export const BLOCK_HEADER_BYTES = 1 + 1 + 32 + 4 + 2;
/** Block bytes per BLOCK chunk (all chunks but the last are exactly this long). @example chunkCount(CHUNK_BYTES + 1) === 2 */
export const CHUNK_BYTES = MAX_FRAME - BLOCK_HEADER_BYTES;
/** Most bytes of partial (not yet complete) blocks held per peer. @example new Reassembler(MAX_PARTIAL_BYTES) */
export const MAX_PARTIAL_BYTES = 2 * 1024 * 1024;
/** Most ranges in one SYNC frame. @example frame.ranges.length <= MAX_RANGES */
export const MAX_RANGES = 255;
/** Longest BYE text, UTF-8 bytes. @example utf8(text).length <= MAX_BYE_TEXT */
export const MAX_BYE_TEXT = 120;
/** Bytes of a SYNC range fingerprint. @example fp.length === FINGERPRINT_BYTES */
export const FINGERPRINT_BYTES = 16;

/** Frame type codes (byte 0 of every frame). @example bytes[0] === FrameType.INV */
export const FrameType = { HELLO: 1, BYE: 2, INV: 3, GET: 4, BLOCK: 5, NOTFOUND: 6, SYNC: 7, RECEIPT: 8, PROVE: 9, PROOF: 10, AUTH: 11 } as const;
/** A frame type code. @example const t: FrameTypeCode = FrameType.SYNC */
export type FrameTypeCode = (typeof FrameType)[keyof typeof FrameType];
/** Lower-case frame names by code, for stats and logs. @example FRAME_NAME[5] === 'block' */
export const FRAME_NAME: Record<number, Frame['type']> = { 1: 'hello', 2: 'bye', 3: 'inv', 4: 'get', 5: 'block', 6: 'notfound', 7: 'sync', 8: 'receipt', 9: 'prove', 10: 'proof', 11: 'auth' };

/** What a node is: a browser thin node (notification chain, and the case blocks of the tracing chain), a full node, or a tracing relay. @example const r: NodeRole = 'thin' */
export type NodeRole = 'thin' | 'full' | 'relay';
const ROLE_CODE: Record<NodeRole, number> = { thin: 0, full: 1, relay: 2 };
const ROLE_OF_CODE: NodeRole[] = ['thin', 'full', 'relay'];
/** Chains each role carries (HELLO must match). @example ROLE_CHAINS.thin // [2] */
export const ROLE_CHAINS: Record<NodeRole, ChainId[]> = { thin: [Chain.NOTIFICATION], full: [Chain.TRACING, Chain.NOTIFICATION], relay: [Chain.TRACING, Chain.NOTIFICATION] };

/** BYE reason codes. @example { type: 'bye', reason: ByeReason.SHUTDOWN, text: '' } */
export const ByeReason = { NORMAL: 0, SHUTDOWN: 1, OVER_CAPACITY: 2, MISBEHAVIOUR: 3, INCOMPATIBLE: 4, ROTATION: 5 } as const;
/** A BYE reason code. @example const r: ByeReasonCode = ByeReason.ROTATION */
export type ByeReasonCode = (typeof ByeReason)[keyof typeof ByeReason];
/** RECEIPT status codes (answer to an UPLOAD). @example r.status === ReceiptStatus.STORED */
export const ReceiptStatus = { STORED: 0, DUPLICATE: 1, HELD: 2, REFUSED: 3 } as const;
/** A RECEIPT status code. @example const s: ReceiptStatusCode = ReceiptStatus.HELD */
export type ReceiptStatusCode = (typeof ReceiptStatus)[keyof typeof ReceiptStatus];
/**
 * PROOF status codes. INCLUDED: the path proves the id is a leaf of the checkpoint. ABSENT: the
 * sender's blocks of the interval give exactly the checkpoint's size and root, and the id is not
 * among them. UNKNOWN: the sender cannot tell (it does not carry the chain, its blocks of the
 * interval differ from the checkpoint, or it is busy).
 * @example p.status === ProofStatus.INCLUDED
 */
export const ProofStatus = { INCLUDED: 0, ABSENT: 1, UNKNOWN: 2 } as const;
/** A PROOF status code. @example const s: ProofStatusCode = ProofStatus.ABSENT */
export type ProofStatusCode = (typeof ProofStatus)[keyof typeof ProofStatus];
/** Most hashes in a PROOF path (a tree of up to 2^32 leaves). @example path.length <= MAX_PROOF_PATH */
export const MAX_PROOF_PATH = 32;

/**
 * A point in the (time, id) order of a chain's blocks: every block with time > `time`, or with
 * time = `time` and id ≥ `prefix` padded with zero bytes to 32, lies at or above it. `prefix` is
 * 0..32 bytes and never ends in a zero byte (one encoding per point).
 * @example const everything: Bound = { time: 0, prefix: new Uint8Array(0) };
 */
export interface Bound {
  time: number;
  prefix: Uint8Array;
}
/** The top of the (time, id) order: above every block. @example ranges.at(-1).upper === MAX_BOUND */
export const MAX_BOUND: Bound = Object.freeze({ time: 0xffffffff, prefix: new Uint8Array(0) });

/** One range of a SYNC frame; its lower bound is the previous range's upper (or the frame's `start`). @example { upper: MAX_BOUND, mode: 'fingerprint', count: 3, fingerprint } */
export type SyncRange =
  | { upper: Bound; mode: 'skip' }
  | { upper: Bound; mode: 'fingerprint'; count: number; fingerprint: Uint8Array }
  | { upper: Bound; mode: 'idlist'; ids: Uint8Array[] };

/** HELLO: the first frame on a link, both ways; no stable identifier. @example { type: 'hello', version: 1, region: 1, chains: [2], role: 'thin' } */
export interface HelloFrame {
  type: 'hello';
  version: number;
  region: number;
  /** Chains the sender carries, ascending. */
  chains: ChainId[];
  role: NodeRole;
}
/** BYE: why this side closes the link. @example { type: 'bye', reason: ByeReason.SHUTDOWN, text: 'node stopping' } */
export interface ByeFrame {
  type: 'bye';
  reason: ByeReasonCode;
  text: string;
}
/** INV: ids of blocks of one chain the sender has (announcements, sync offers). @example { type: 'inv', chain: Chain.TRACING, ids: sortIds([id]) } */
export interface InvFrame {
  type: 'inv';
  chain: ChainId;
  ids: Uint8Array[];
}
/** GET: send me these blocks. @example { type: 'get', ids: sortIds([id]) } */
export interface GetFrame {
  type: 'get';
  ids: Uint8Array[];
}
/** BLOCK: one chunk of a block (all of it when it fits one frame). @example blockFrames(id, bytes, false).map(decodeFrame) */
export interface BlockFrame {
  type: 'block';
  /** A thin node (or any node) hands over its own block, not requested by the receiver. */
  upload: boolean;
  id: Uint8Array;
  /** Length of the whole block. */
  total: number;
  /** Chunk number, 0-based. */
  index: number;
  /** This chunk's bytes (a view into the frame). */
  payload: Uint8Array;
}
/** NOTFOUND: the sender does not have these requested blocks. @example { type: 'notfound', ids: sortIds([id]) } */
export interface NotFoundFrame {
  type: 'notfound';
  ids: Uint8Array[];
}
/** SYNC: consecutive ranges of a chain's (time, id) order, for reconciliation (sync.ts). @example { type: 'sync', chain: 1, start, ranges: [{ upper: MAX_BOUND, mode: 'idlist', ids: [] }] } */
export interface SyncFrame {
  type: 'sync';
  chain: ChainId;
  start: Bound;
  ranges: SyncRange[];
}
/** RECEIPT: what the receiver of an UPLOAD did with it. @example { type: 'receipt', id, status: ReceiptStatus.STORED } */
export interface ReceiptFrame {
  type: 'receipt';
  id: Uint8Array;
  status: ReceiptStatusCode;
}
/** The checkpoint a PROVE names (the body validators signed; docs/PROTOCOL.md §10.4). @example { chain: 1, fromTime, toTime, size, root } */
export interface CheckpointRef {
  chain: ChainId;
  fromTime: number;
  toTime: number;
  size: number;
  root: Uint8Array;
}
/** PROVE: prove that block `id` is a leaf of this checkpoint. @example { type: 'prove', id, checkpoint } */
export interface ProveFrame {
  type: 'prove';
  id: Uint8Array;
  checkpoint: CheckpointRef;
}
/** PROOF: the answer to PROVE (`path` is empty unless INCLUDED). @example { type: 'proof', id, root, status: ProofStatus.INCLUDED, index: 7, path } */
export interface ProofFrame {
  type: 'proof';
  id: Uint8Array;
  /** The root of the checkpoint asked about. */
  root: Uint8Array;
  status: ProofStatusCode;
  /** Leaf index of `id` (0 unless INCLUDED). */
  index: number;
  /** RFC 6962 inclusion path, leaf to root. */
  path: Uint8Array[];
}
/** Every network message. @example if (f.type === 'inv') for (const id of f.ids) … */
/**
 * AUTH: the sender proves it holds a certified full-node key (a validator's or solver's), bound to
 * this connection (src/net/auth.ts, docs/NET.md §7.3). @example { type: 'auth', key, sig }
 */
export interface AuthFrame {
  type: 'auth';
  /** The certified Ed25519 public key. */
  key: Uint8Array;
  /** Ed25519 signature of `authMessage` (auth.ts) over this connection's channel binding. */
  sig: Uint8Array;
}
export type Frame = HelloFrame | ByeFrame | InvFrame | GetFrame | BlockFrame | NotFoundFrame | SyncFrame | ReceiptFrame | ProveFrame | ProofFrame | AuthFrame;

/**
 * A peer broke the protocol in a way that is not an encoding error (unsolicited block, partial-block
 * budget exceeded, chunks that disagree, a frame before HELLO…).
 * @example throw new ProtocolError('unsolicited', 'BLOCK for an id this node never asked for')
 */
export class ProtocolError extends BeepTraceError {}

// ───────────────────────────── helpers ─────────────────────────────

/** Number of BLOCK chunks for a block of `total` bytes. @example chunkCount(100) === 1 */
export function chunkCount(total: number): number {
  return Math.ceil(total / CHUNK_BYTES);
}

/** Length of chunk `index` of a block of `total` bytes. @example chunkLength(CHUNK_BYTES + 5, 1) === 5 */
export function chunkLength(total: number, index: number): number {
  return Math.min(CHUNK_BYTES, total - index * CHUNK_BYTES);
}

/** Sorted (bytewise), duplicate-free copy of a list of 32-byte ids, as INV/GET/NOTFOUND/IDLIST need. @example sortIds([b, a, b]) // [a, b] */
export function sortIds(ids: Iterable<Uint8Array>): Uint8Array[] {
  const out = [...ids].sort(compare);
  return out.filter((x, i) => i === 0 || compare(out[i - 1], x) !== 0);
}

/** Compare two 32-byte-padded prefixes. */
function comparePadded(a: Uint8Array, b: Uint8Array): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x - y;
  }
  return 0;
}

/** Order of two bounds. @example compareBounds(a, MAX_BOUND) < 0 */
export function compareBounds(a: Bound, b: Bound): number {
  return a.time - b.time || comparePadded(a.prefix, b.prefix);
}

/** Order of a block (time, id) against a bound: < 0 means below it. @example compareToBound(3, id, { time: 4, prefix }) < 0 */
export function compareToBound(time: number, id: Uint8Array, b: Bound): number {
  return time - b.time || comparePadded(id, b.prefix);
}

function boundBytes(b: Bound): number {
  return 5 + b.prefix.length;
}

/** Encoded size of one SYNC range. @example syncRangeBytes({ upper: MAX_BOUND, mode: 'skip' }) === 6 */
export function syncRangeBytes(r: SyncRange): number {
  const head = boundBytes(r.upper) + 1;
  if (r.mode === 'skip') return head;
  if (r.mode === 'fingerprint') return head + 4 + FINGERPRINT_BYTES;
  return head + 2 + 32 * r.ids.length;
}

/** Encoded size of a SYNC frame header (type, chain, start, range count). @example syncHeaderBytes(MAX_BOUND) === 8 */
export function syncHeaderBytes(start: Bound): number {
  return 2 + boundBytes(start) + 1;
}

// ───────────────────────────── encode ─────────────────────────────

function checkIds(ids: Uint8Array[], what: string, min: number): void {
  if (!Array.isArray(ids)) throw new TypeError(`${what}: ids must be an array`);
  if (ids.length < min || ids.length > MAX_IDS) throw new RangeError(`${what}: ${ids.length} ids, allowed ${min}..${MAX_IDS}`);
  for (let i = 0; i < ids.length; i++) {
    if (!(ids[i] instanceof Uint8Array) || ids[i].length !== 32) throw new RangeError(`${what}: id ${i} is not 32 bytes`);
    if (i > 0 && compare(ids[i - 1], ids[i]) >= 0) throw new RangeError(`${what}: ids must be sorted and distinct (use sortIds)`);
  }
}

function checkChain(chain: number, what: string): void {
  if (chain !== Chain.TRACING && chain !== Chain.NOTIFICATION) throw new RangeError(`${what}: chain must be 1 or 2, got ${chain}`);
}

function writeBound(w: Writer, b: Bound, what: string): void {
  if (!(b.prefix instanceof Uint8Array) || b.prefix.length > 32) throw new RangeError(`${what}: bound prefix must be 0..32 bytes`);
  if (b.prefix.length && b.prefix[b.prefix.length - 1] === 0) throw new RangeError(`${what}: bound prefix must not end in a zero byte`);
  w.u32(b.time).u8(b.prefix.length).bytes(b.prefix, b.prefix.length);
}

function writeIds(w: Writer, ids: Uint8Array[]): void {
  w.u16(ids.length);
  for (const id of ids) w.bytes(id, 32);
}

/**
 * Encode a frame. Throws RangeError/TypeError for a value that has no canonical encoding
 * (unsorted ids, too many ids, a chunk of the wrong length, a frame over MAX_FRAME…).
 * @example encodeFrame({ type: 'inv', chain: Chain.TRACING, ids: sortIds(ids) })
 */
export function encodeFrame(f: Frame): Uint8Array {
  const w = new Writer(f.type === 'block' ? BLOCK_HEADER_BYTES + f.payload.length : 64);
  switch (f.type) {
    case 'hello': {
      if (f.version !== PROTOCOL_VERSION) throw new RangeError(`HELLO: version must be ${PROTOCOL_VERSION}`);
      const want = ROLE_CHAINS[f.role];
      if (!want) throw new RangeError(`HELLO: unknown role ${String(f.role)}`);
      if (f.chains.length !== want.length || f.chains.some((c, i) => c !== want[i])) throw new RangeError(`HELLO: a ${f.role} node carries chains ${want.join(',')}, not ${f.chains.join(',')}`);
      let mask = 0;
      for (const c of f.chains) mask |= c;
      w.u8(FrameType.HELLO).u8(f.version).u16(f.region).u8(mask).u8(ROLE_CODE[f.role]);
      break;
    }
    case 'bye': {
      if (!Number.isInteger(f.reason) || f.reason < 0 || f.reason > ByeReason.ROTATION) throw new RangeError(`BYE: unknown reason ${f.reason}`);
      w.u8(FrameType.BYE).u8(f.reason).vbytes(utf8(f.text), MAX_BYE_TEXT);
      break;
    }
    case 'inv':
      checkChain(f.chain, 'INV');
      checkIds(f.ids, 'INV', 1);
      w.u8(FrameType.INV).u8(f.chain);
      writeIds(w, f.ids);
      break;
    case 'get':
    case 'notfound':
      checkIds(f.ids, f.type.toUpperCase(), 1);
      w.u8(f.type === 'get' ? FrameType.GET : FrameType.NOTFOUND);
      writeIds(w, f.ids);
      break;
    case 'block': {
      if (!Number.isInteger(f.total) || f.total < 1 || f.total > MAX_BLOCK_BYTES) throw new RangeError(`BLOCK: total ${f.total} outside 1..${MAX_BLOCK_BYTES}`);
      if (!Number.isInteger(f.index) || f.index < 0 || f.index >= chunkCount(f.total)) throw new RangeError(`BLOCK: chunk ${f.index} of a ${chunkCount(f.total)}-chunk block`);
      const len = chunkLength(f.total, f.index);
      if (f.payload.length !== len) throw new RangeError(`BLOCK: chunk ${f.index} must be ${len} bytes, got ${f.payload.length}`);
      w.u8(FrameType.BLOCK).u8(f.upload ? 1 : 0).bytes(f.id, 32).u32(f.total).u16(f.index).bytes(f.payload, len);
      break;
    }
    case 'sync': {
      checkChain(f.chain, 'SYNC');
      if (f.ranges.length > MAX_RANGES) throw new RangeError(`SYNC: ${f.ranges.length} ranges, at most ${MAX_RANGES}`);
      w.u8(FrameType.SYNC).u8(f.chain);
      writeBound(w, f.start, 'SYNC start');
      w.u8(f.ranges.length);
      let prev = f.start;
      for (const [i, r] of f.ranges.entries()) {
        if (compareBounds(prev, r.upper) >= 0) throw new RangeError(`SYNC: range ${i} upper bound is not above the previous bound`);
        prev = r.upper;
        writeBound(w, r.upper, `SYNC range ${i}`);
        if (r.mode === 'skip') {
          if (i === 0 || i === f.ranges.length - 1 || f.ranges[i - 1].mode === 'skip') throw new RangeError(`SYNC: range ${i}: a skip range is never first, last or after another skip`);
          w.u8(0);
        } else if (r.mode === 'fingerprint') {
          if (r.fingerprint.length !== FINGERPRINT_BYTES) throw new RangeError(`SYNC: fingerprint must be ${FINGERPRINT_BYTES} bytes`);
          w.u8(1).u32(r.count).bytes(r.fingerprint, FINGERPRINT_BYTES);
        } else if (r.mode === 'idlist') {
          checkIds(r.ids, `SYNC range ${i} id list`, 0);
          w.u8(2);
          writeIds(w, r.ids);
        } else throw new RangeError(`SYNC: unknown range mode ${(r as { mode: string }).mode}`);
      }
      break;
    }
    case 'receipt':
      if (!Number.isInteger(f.status) || f.status < 0 || f.status > ReceiptStatus.REFUSED) throw new RangeError(`RECEIPT: unknown status ${f.status}`);
      w.u8(FrameType.RECEIPT).bytes(f.id, 32).u8(f.status);
      break;
    case 'prove': {
      const cp = f.checkpoint;
      checkChain(cp.chain, 'PROVE');
      if (!Number.isInteger(cp.fromTime) || !Number.isInteger(cp.toTime) || cp.toTime <= cp.fromTime) throw new RangeError('PROVE: the checkpoint interval must be non-empty whole seconds');
      w.u8(FrameType.PROVE).bytes(f.id, 32).u8(cp.chain).u32(cp.fromTime).u32(cp.toTime).u32(cp.size).bytes(cp.root, 32);
      break;
    }
    case 'proof': {
      if (!Number.isInteger(f.status) || f.status < 0 || f.status > ProofStatus.UNKNOWN) throw new RangeError(`PROOF: unknown status ${f.status}`);
      if (!Array.isArray(f.path) || f.path.length > MAX_PROOF_PATH) throw new RangeError(`PROOF: path must be an array of at most ${MAX_PROOF_PATH} hashes`);
      if (f.status !== ProofStatus.INCLUDED && (f.index !== 0 || f.path.length)) throw new RangeError('PROOF: only INCLUDED carries an index and a path');
      w.u8(FrameType.PROOF).bytes(f.id, 32).bytes(f.root, 32).u8(f.status).u32(f.index).u8(f.path.length);
      for (const [i, h] of f.path.entries()) {
        if (!(h instanceof Uint8Array) || h.length !== 32) throw new RangeError(`PROOF: path hash ${i} is not 32 bytes`);
        w.bytes(h, 32);
      }
      break;
    }
    case 'auth':
      if (!(f.key instanceof Uint8Array) || f.key.length !== 32) throw new RangeError('AUTH: key must be 32 bytes');
      if (!(f.sig instanceof Uint8Array) || f.sig.length !== 64) throw new RangeError('AUTH: signature must be 64 bytes');
      w.u8(FrameType.AUTH).bytes(f.key, 32).bytes(f.sig, 64);
      break;
    default:
      throw new TypeError(`encodeFrame: unknown frame type ${(f as { type: unknown }).type}`);
  }
  if (w.length > MAX_FRAME) throw new RangeError(`${f.type.toUpperCase()} frame of ${w.length} bytes over MAX_FRAME ${MAX_FRAME}`);
  return w.finish();
}

/**
 * The BLOCK frames that carry a block: one per CHUNK_BYTES.
 * @example for (const f of blockFrames(id, bytes, false)) link.send(f)
 */
export function blockFrames(id: Uint8Array, bytes: Uint8Array, upload: boolean): Uint8Array[] {
  const out: Uint8Array[] = [];
  const n = chunkCount(bytes.length);
  for (let index = 0; index < n; index++) {
    const payload = bytes.subarray(index * CHUNK_BYTES, index * CHUNK_BYTES + chunkLength(bytes.length, index));
    out.push(encodeFrame({ type: 'block', upload, id, total: bytes.length, index, payload }));
  }
  return out;
}

// ───────────────────────────── decode ─────────────────────────────

function readChain(r: Reader): ChainId {
  return r.check(r.u8('chain'), 1, 2, 'chain') as ChainId;
}

function readIds(r: Reader, what: string, min: number): Uint8Array[] {
  const n = r.check(r.u16(`${what} count`), min, MAX_IDS, `${what} count`);
  const ids: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const id = r.bytes(32, `${what} id ${i}`).slice();
    if (i > 0 && compare(ids[i - 1], id) >= 0) throw new CodecError('not_canonical', `${what}: ids are not sorted and distinct at ${i}`);
    ids.push(id);
  }
  return ids;
}

function readBound(r: Reader, what: string): Bound {
  const time = r.u32(`${what} time`);
  const len = r.check(r.u8(`${what} prefix length`), 0, 32, `${what} prefix length`);
  const prefix = r.bytes(len, `${what} prefix`).slice();
  if (len && prefix[len - 1] === 0) throw new CodecError('not_canonical', `${what}: bound prefix ends in a zero byte`);
  return { time, prefix };
}

/**
 * Decode one frame. Throws CodecError (with a code: too_long, truncated, trailing, range,
 * not_canonical, unknown_type, version, utf8) for anything that is not a canonical frame.
 * @example const f = decodeFrame(bytes); if (f.type === 'hello') …
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`decodeFrame: expected Uint8Array, got ${typeof bytes}`);
  if (bytes.length > MAX_FRAME) throw new CodecError('too_long', `frame of ${bytes.length} bytes over MAX_FRAME ${MAX_FRAME}`);
  const type = bytes.length ? bytes[0] : -1;
  const name = FRAME_NAME[type] ? FRAME_NAME[type].toUpperCase() : 'frame';
  const r = new Reader(bytes, `${name} frame`);
  r.u8('type');
  let f: Frame;
  switch (type) {
    case FrameType.HELLO: {
      const version = r.u8('version');
      if (version !== PROTOCOL_VERSION) throw new CodecError('version', `HELLO: protocol version ${version}, this node speaks ${PROTOCOL_VERSION}`);
      const region = r.u16('region');
      const mask = r.check(r.u8('chains'), 1, 3, 'chains');
      const role = ROLE_OF_CODE[r.check(r.u8('role'), 0, 2, 'role')];
      const chains = ([Chain.TRACING, Chain.NOTIFICATION] as ChainId[]).filter((c) => mask & c);
      const want = ROLE_CHAINS[role];
      if (chains.length !== want.length || chains.some((c, i) => c !== want[i])) throw new CodecError('range', `HELLO: a ${role} node carries chains ${want.join(',')}, not ${chains.join(',')}`);
      f = { type: 'hello', version, region, chains, role };
      break;
    }
    case FrameType.BYE: {
      const reason = r.check(r.u8('reason'), 0, ByeReason.ROTATION, 'reason') as ByeReasonCode;
      const raw = r.vbytes(MAX_BYE_TEXT, 'text');
      let text: string;
      try {
        text = fromUtf8(raw);
      } catch {
        throw new CodecError('utf8', 'BYE: text is not valid UTF-8');
      }
      f = { type: 'bye', reason, text };
      break;
    }
    case FrameType.INV:
      f = { type: 'inv', chain: readChain(r), ids: readIds(r, 'INV', 1) };
      break;
    case FrameType.GET:
      f = { type: 'get', ids: readIds(r, 'GET', 1) };
      break;
    case FrameType.NOTFOUND:
      f = { type: 'notfound', ids: readIds(r, 'NOTFOUND', 1) };
      break;
    case FrameType.BLOCK: {
      const flags = r.check(r.u8('flags'), 0, 1, 'flags');
      const id = r.bytes(32, 'id').slice();
      const total = r.check(r.u32('total'), 1, MAX_BLOCK_BYTES, 'total');
      const index = r.check(r.u16('index'), 0, chunkCount(total) - 1, 'index');
      const len = chunkLength(total, index);
      if (r.remaining < len) throw new CodecError('truncated', `BLOCK: chunk ${index} needs ${len} bytes, ${r.remaining} left`);
      const payload = r.bytes(len, 'payload');
      f = { type: 'block', upload: flags === 1, id, total, index, payload };
      break;
    }
    case FrameType.SYNC: {
      const chain = readChain(r);
      const start = readBound(r, 'SYNC start');
      const n = r.u8('range count');
      const ranges: SyncRange[] = [];
      let prev = start;
      for (let i = 0; i < n; i++) {
        const upper = readBound(r, `SYNC range ${i}`);
        if (compareBounds(prev, upper) >= 0) throw new CodecError('not_canonical', `SYNC: range ${i} upper bound is not above the previous bound`);
        prev = upper;
        const mode = r.check(r.u8('mode'), 0, 2, `range ${i} mode`);
        if (mode === 0) {
          if (i === 0 || i === n - 1 || ranges[i - 1].mode === 'skip') throw new CodecError('not_canonical', `SYNC: range ${i}: a skip range is never first, last or after another skip`);
          ranges.push({ upper, mode: 'skip' });
        } else if (mode === 1) {
          const count = r.u32('count');
          ranges.push({ upper, mode: 'fingerprint', count, fingerprint: r.bytes(FINGERPRINT_BYTES, 'fingerprint').slice() });
        } else {
          ranges.push({ upper, mode: 'idlist', ids: readIds(r, `SYNC range ${i} id list`, 0) });
        }
      }
      f = { type: 'sync', chain, start, ranges };
      break;
    }
    case FrameType.RECEIPT: {
      const id = r.bytes(32, 'id').slice();
      const status = r.check(r.u8('status'), 0, ReceiptStatus.REFUSED, 'status') as ReceiptStatusCode;
      f = { type: 'receipt', id, status };
      break;
    }
    case FrameType.PROVE: {
      const id = r.bytes(32, 'id').slice();
      const chain = readChain(r);
      const fromTime = r.u32('fromTime');
      const toTime = r.u32('toTime');
      if (toTime <= fromTime) throw new CodecError('range', 'PROVE: the checkpoint interval is empty');
      const size = r.u32('size');
      f = { type: 'prove', id, checkpoint: { chain, fromTime, toTime, size, root: r.bytes(32, 'root').slice() } };
      break;
    }
    case FrameType.PROOF: {
      const id = r.bytes(32, 'id').slice();
      const root = r.bytes(32, 'root').slice();
      const status = r.check(r.u8('status'), 0, ProofStatus.UNKNOWN, 'status') as ProofStatusCode;
      const index = r.u32('index');
      const n = r.check(r.u8('path length'), 0, MAX_PROOF_PATH, 'path length');
      if (status !== ProofStatus.INCLUDED && (index !== 0 || n !== 0)) throw new CodecError('not_canonical', 'PROOF: only INCLUDED carries an index and a path');
      const path: Uint8Array[] = [];
      for (let i = 0; i < n; i++) path.push(r.bytes(32, `path hash ${i}`).slice());
      f = { type: 'proof', id, root, status, index, path };
      break;
    }
    case FrameType.AUTH:
      f = { type: 'auth', key: r.bytes(32, 'key').slice(), sig: r.bytes(64, 'signature').slice() };
      break;
    default:
      throw new CodecError(bytes.length ? 'unknown_type' : 'truncated', bytes.length ? `frame type ${type} unknown` : 'empty frame');
  }
  r.end();
  return f;
}

// ───────────────────────────── reassembly ─────────────────────────────

interface Partial {
  total: number;
  got: Uint8Array;
  have: number;
  buf: Uint8Array;
  at: number;
}

/**
 * Puts chunked blocks back together, per peer, holding at most `maxBytes` of partial blocks.
 * Chunks may arrive in any order and more than once.
 *
 * @example
 * const r = new Reassembler();
 * const whole = r.push(frame, clock.now()); // Uint8Array when the last chunk arrived, else null
 */
export class Reassembler {
  private parts = new Map<string, Partial>();
  private heldBytes = 0;
  constructor(readonly maxBytes = MAX_PARTIAL_BYTES) {}

  /** Bytes of partial blocks held now. */
  get held(): number {
    return this.heldBytes;
  }

  /**
   * Add a chunk. Returns the whole block when it is complete, else null. Throws ProtocolError
   * when a chunk disagrees with earlier ones (`chunk_mismatch`) or the budget would be exceeded
   * (`partial_budget`).
   */
  push(f: BlockFrame, now: number): Uint8Array | null {
    const n = chunkCount(f.total);
    if (n === 1) return f.payload.slice();
    const hex = toHex(f.id);
    let p = this.parts.get(hex);
    if (!p) {
      if (this.heldBytes + f.total > this.maxBytes) {
        throw new ProtocolError('partial_budget', `a ${f.total}-byte block would hold ${this.heldBytes + f.total} bytes of partial blocks, limit ${this.maxBytes}`);
      }
      p = { total: f.total, got: new Uint8Array(n), have: 0, buf: new Uint8Array(f.total), at: now };
      this.parts.set(hex, p);
      this.heldBytes += f.total;
    } else if (p.total !== f.total) {
      throw new ProtocolError('chunk_mismatch', `chunk ${f.index} says the block has ${f.total} bytes, earlier chunks said ${p.total}`);
    }
    if (p.got[f.index]) return null; // a repeated chunk is no progress: it does not keep the partial block alive
    p.at = now;
    p.got[f.index] = 1;
    p.buf.set(f.payload, f.index * CHUNK_BYTES);
    if (++p.have < n) return null;
    this.parts.delete(hex);
    this.heldBytes -= p.total;
    return p.buf;
  }

  /**
   * Would `push` store this chunk as new bytes? A single-chunk block always; a chunk of a partial
   * block only if it agrees with the earlier chunks and is not held yet; the first chunk of a new
   * block only if the block fits the budget. Only such chunks of requested blocks are exempt from
   * the rate limits and count as a peer's progress (issue 17 finding 4): a chunk dropped for the
   * budget, or repeated, pays the limits like any other frame.
   * @example const fresh = peer.reassembler.accepts(f);
   */
  accepts(f: BlockFrame): boolean {
    if (chunkCount(f.total) === 1) return true;
    const p = this.parts.get(toHex(f.id));
    if (p) return p.total === f.total && p.got[f.index] !== 1;
    return this.heldBytes + f.total <= this.maxBytes;
  }

  /** Forget a partial block (its request was abandoned). */
  drop(hex: string): void {
    const p = this.parts.get(hex);
    if (!p) return;
    this.parts.delete(hex);
    this.heldBytes -= p.total;
  }

  /** Drop partial blocks with no chunk since `before` (ms); returns their id hexes. */
  expire(before: number): string[] {
    const out: string[] = [];
    for (const [hex, p] of this.parts) if (p.at < before) out.push(hex);
    for (const hex of out) this.drop(hex);
    return out;
  }

  /** Forget everything. */
  clear(): void {
    this.parts.clear();
    this.heldBytes = 0;
  }
}
