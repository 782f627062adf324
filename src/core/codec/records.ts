/**
 * Record bodies, one encoder/decoder pair per kind (docs/PROTOCOL.md §Records). Decoders are
 * strict: exact lengths, ranges checked, no trailing bytes. Sealed parts stay opaque here; their
 * plaintext formats live in src/core/sealing.ts.
 *
 * @example
 * const body = encodeWithdrawal({ day, dayPub });
 * decodeWithdrawal(body).day === day
 * @module
 */
import { CodecError } from '../errors.ts';
import { Reader, Writer } from './wire.ts';
import { fromUtf8, utf8 } from '../bytes.ts';
import { STAY_BYTES } from './stay.ts';

/** Stay bucket sizes of trace batches (index on the wire). Smallest is 32 so 1 and 30 stays look alike. */
export const BUCKETS = [32, 64, 128] as const;
/** Sealed trace plaintext: n_d (32) ‖ count u8 ‖ bucket × 16-byte stays; plus the 16-byte AEAD tag. */
export function traceSealedLength(bucket: number): number {
  return 32 + 1 + bucket * STAY_BYTES + 16;
}

export interface TraceBatchBody {
  day: number;
  epoch: number;
  /** Part of the day (0..47): a device may upload a day in several parts, each sealed with its own nonce. */
  part: number;
  dayPub: Uint8Array;
  ephPub: Uint8Array;
  /** Index into BUCKETS. */
  bucket: number;
  sealed: Uint8Array;
}
export const MAX_PARTS = 48;

export function encodeTraceBatch(b: TraceBatchBody): Uint8Array {
  const size = BUCKETS[b.bucket];
  if (size === undefined) throw new RangeError(`bucket index ${b.bucket} unknown`);
  if (b.part < 0 || b.part >= MAX_PARTS) throw new RangeError(`part ${b.part} outside 0..${MAX_PARTS - 1}`);
  return new Writer(traceSealedLength(size) + 80)
    .u32(b.day).u32(b.epoch).u8(b.part).bytes(b.dayPub, 32).bytes(b.ephPub, 32).u8(b.bucket)
    .bytes(b.sealed, traceSealedLength(size)).finish();
}
export function decodeTraceBatch(body: Uint8Array): TraceBatchBody {
  const r = new Reader(body, 'trace batch');
  const day = r.u32('day');
  const epoch = r.u32('epoch');
  const part = r.check(r.u8('part'), 0, MAX_PARTS - 1, 'part');
  const dayPub = r.bytes(32, 'day public key');
  const ephPub = r.bytes(32, 'ephemeral key');
  const bucket = r.check(r.u8('bucket'), 0, BUCKETS.length - 1, 'bucket');
  const sealed = r.bytes(traceSealedLength(BUCKETS[bucket]), 'sealed stays');
  r.end();
  return { day, epoch, part, dayPub, ephPub, bucket, sealed };
}

/** Diagnosis and self-report share this shape: an epoch, K endorsed days, and a sealed list. */
export interface CaseBody {
  epoch: number;
  /** Number of endorsed day keys (public: "one case of K days"). */
  days: number;
  ephPub: Uint8Array;
  sealed: Uint8Array;
}
/** Bytes of one endorsed day inside the sealed case plaintext: day u32 ‖ day public key ‖ proof. */
export const ENDORSED_DAY_BYTES = 4 + 32 + 64;
export const MAX_CASE_DAYS = 30;
/** Sealed case plaintext: onset u32 ‖ lookback u8 ‖ challenge 32 ‖ K × endorsed day; plus AEAD tag. */
export function caseSealedLength(days: number): number {
  return 4 + 1 + 32 + days * ENDORSED_DAY_BYTES + 16;
}
export function encodeCase(b: CaseBody): Uint8Array {
  if (b.days < 1 || b.days > MAX_CASE_DAYS) throw new RangeError(`a case endorses 1..${MAX_CASE_DAYS} days, got ${b.days}`);
  return new Writer().u32(b.epoch).u8(b.days).bytes(b.ephPub, 32).bytes(b.sealed, caseSealedLength(b.days)).finish();
}
export function decodeCase(body: Uint8Array, what = 'case'): CaseBody {
  const r = new Reader(body, what);
  const epoch = r.u32('epoch');
  const days = r.check(r.u8('days'), 1, MAX_CASE_DAYS, 'days');
  const ephPub = r.bytes(32, 'ephemeral key');
  const sealed = r.bytes(caseSealedLength(days), 'sealed case');
  r.end();
  return { epoch, days, ephPub, sealed };
}

export interface WithdrawalBody {
  day: number;
  dayPub: Uint8Array;
}
export function encodeWithdrawal(b: WithdrawalBody): Uint8Array {
  return new Writer(36).u32(b.day).bytes(b.dayPub, 32).finish();
}
export function decodeWithdrawal(body: Uint8Array): WithdrawalBody {
  const r = new Reader(body, 'withdrawal');
  const day = r.u32('day');
  const dayPub = r.bytes(32, 'day public key');
  r.end();
  return { day, dayPub };
}

export interface NotificationBody {
  exposureDay: number;
  /** 1 low, 2 high. */
  level: number;
  /** Golomb-Rice parameter of the tag set. */
  P: number;
  /** Number of tags in the set. */
  n: number;
  salt: Uint8Array;
  data: Uint8Array;
}
export const MAX_TAGSET_BYTES = 1_048_000;
export function encodeNotification(b: NotificationBody): Uint8Array {
  if (b.level !== 1 && b.level !== 2) throw new RangeError(`notification level ${b.level} outside 1..2`);
  if (!Number.isInteger(b.P) || b.P < 1 || b.P > 32) throw new RangeError(`notification P ${b.P} outside 1..32`);
  if (!Number.isInteger(b.n) || b.n < 1 || b.n > 1_048_576) throw new RangeError(`notification n ${b.n} outside 1..1048576`);
  return new Writer(b.data.length + 40).u32(b.exposureDay).u8(b.level).u8(b.P).u32(b.n).bytes(b.salt, 16).lbytes(b.data, MAX_TAGSET_BYTES).finish();
}
export function decodeNotification(body: Uint8Array): NotificationBody {
  const r = new Reader(body, 'notification');
  const exposureDay = r.u32('exposure day');
  const level = r.check(r.u8('level'), 1, 2, 'level');
  const P = r.check(r.u8('P'), 1, 32, 'P');
  const n = r.check(r.u32('n'), 1, 1_048_576, 'n');
  const salt = r.bytes(16, 'salt');
  const data = r.lbytes(MAX_TAGSET_BYTES, 'tag set');
  r.end();
  return { exposureDay, level, P, n, salt, data };
}

/**
 * Roles a CA certifies. A VENUE key (a place that prints check-in posters) signs its posters
 * (docs/PROTOCOL.md §7.11) and nothing on the chain; its certificate says the place is known to the authority.
 */
export const Role = { DIAGNOSTICIAN: 1, SOLVER: 2, VALIDATOR: 3, VENUE: 4 } as const;
export type RoleCode = (typeof Role)[keyof typeof Role];
export const ROLE_NAME: Record<number, string> = { 1: 'diagnostician', 2: 'solver', 3: 'validator', 4: 'venue' };
/** Highest role code a certificate may carry. @example Role.VENUE === MAX_ROLE */
export const MAX_ROLE = 4;
/** Region value meaning "every region". */
export const ANY_REGION = 0xffff;

export interface CertificateBody {
  serial: Uint8Array;
  role: RoleCode;
  region: number;
  subject: Uint8Array;
  /** Validity window, seconds. */
  notBefore: number;
  notAfter: number;
  /** Public name of the certified organisation (≤ 64 bytes UTF-8). */
  name: string;
}
export function encodeCertificate(b: CertificateBody): Uint8Array {
  if (b.notAfter <= b.notBefore) throw new RangeError('certificate notAfter must be after notBefore');
  if (!Number.isInteger(b.role) || b.role < 1 || b.role > MAX_ROLE) throw new RangeError(`certificate role ${b.role} outside 1..${MAX_ROLE}`);
  return new Writer().bytes(b.serial, 16).u8(b.role).u16(b.region).bytes(b.subject, 32).u32(b.notBefore).u32(b.notAfter).vbytes(utf8(b.name), 64).finish();
}
export function decodeCertificate(body: Uint8Array): CertificateBody {
  const r = new Reader(body, 'certificate');
  const serial = r.bytes(16, 'serial');
  const role = r.check(r.u8('role'), 1, MAX_ROLE, 'role') as RoleCode;
  const region = r.u16('region');
  const subject = r.bytes(32, 'subject');
  const notBefore = r.u32('notBefore');
  const notAfter = r.u32('notAfter');
  if (notAfter <= notBefore) throw new CodecError('range', 'certificate notAfter must be after notBefore');
  let name: string;
  try {
    name = fromUtf8(r.vbytes(64, 'name'));
  } catch (e) {
    if (e instanceof CodecError) throw e;
    throw new CodecError('bad_utf8', 'certificate name is not valid UTF-8');
  }
  r.end();
  return { serial, role, region, subject, notBefore, notAfter, name };
}

export interface RevocationBody {
  subject: Uint8Array;
  /** Seconds; blocks the subject signs at or after this time are invalid. */
  revokedAt: number;
  reason: number;
}
export function encodeRevocation(b: RevocationBody): Uint8Array {
  return new Writer(37).bytes(b.subject, 32).u32(b.revokedAt).u8(b.reason).finish();
}
export function decodeRevocation(body: Uint8Array): RevocationBody {
  const r = new Reader(body, 'revocation');
  const subject = r.bytes(32, 'subject');
  const revokedAt = r.u32('revokedAt');
  const reason = r.u8('reason');
  r.end();
  return { subject, revokedAt, reason };
}

export interface EpochKeyBody {
  epoch: number;
  publicKey: Uint8Array;
}
export function encodeEpochKey(b: EpochKeyBody): Uint8Array {
  return new Writer(36).u32(b.epoch).bytes(b.publicKey, 32).finish();
}
export function decodeEpochKey(body: Uint8Array): EpochKeyBody {
  const r = new Reader(body, 'epoch key');
  const epoch = r.u32('epoch');
  const publicKey = r.bytes(32, 'public key');
  r.end();
  return { epoch, publicKey };
}

/** Policy statement: the policy JSON as UTF-8 (validated by parsePolicy in src/core/policy.ts). */
export function encodePolicyStatement(json: string): Uint8Array {
  return new Writer().vbytes(utf8(json), 4096).finish();
}
export function decodePolicyStatement(body: Uint8Array): string {
  const r = new Reader(body, 'policy');
  const raw = r.vbytes(4096, 'json');
  r.end();
  try {
    return fromUtf8(raw);
  } catch {
    throw new CodecError('bad_utf8', 'policy is not valid UTF-8');
  }
}

export interface CheckpointBody {
  chain: number;
  /** Interval [fromTime, toTime) in seconds of block time. */
  fromTime: number;
  toTime: number;
  /** Number of block ids (leaves) in the interval. */
  size: number;
  /** RFC 6962 Merkle root over the ids ordered by (time, id). */
  root: Uint8Array;
  /**
   * A tracing-chain checkpoint only (and always): the same over the interval's case blocks alone
   * (DIAGNOSIS, SELF_REPORT, WITHDRAWAL), which every node — a thin one too — holds, so that every
   * node can tell whether a case block was sealed (docs/PROTOCOL.md §7.9, §9.1, §15 item 44).
   */
  cases?: { size: number; root: Uint8Array };
}

/** Body bytes of a checkpoint of each chain. @example CHECKPOINT_BYTES[1] === 81 */
export const CHECKPOINT_BYTES: Record<number, number> = { 1: 81, 2: 45 };

/** @throws RangeError for an empty interval, another chain, `cases` missing on (or given for) the wrong chain, or more case blocks than blocks. */
export function encodeCheckpoint(b: CheckpointBody): Uint8Array {
  if (b.toTime <= b.fromTime) throw new RangeError('checkpoint interval is empty');
  if (b.chain !== 1 && b.chain !== 2) throw new RangeError(`checkpoint chain ${b.chain} outside 1..2`);
  if ((b.chain === 1) !== (b.cases !== undefined)) throw new RangeError(b.chain === 1 ? 'a tracing-chain checkpoint needs its case blocks\' size and root (cases)' : 'only a tracing-chain checkpoint has cases');
  if (b.cases && !(b.cases.size <= b.size)) throw new RangeError(`checkpoint: ${b.cases.size} case blocks of ${b.size} blocks`);
  const w = new Writer(CHECKPOINT_BYTES[b.chain]).u8(b.chain).u32(b.fromTime).u32(b.toTime).u32(b.size).bytes(b.root, 32);
  if (b.cases) w.u32(b.cases.size).bytes(b.cases.root, 32);
  return w.finish();
}
export function decodeCheckpoint(body: Uint8Array): CheckpointBody {
  const r = new Reader(body, 'checkpoint');
  const chain = r.check(r.u8('chain'), 1, 2, 'chain');
  const fromTime = r.u32('fromTime');
  const toTime = r.u32('toTime');
  if (toTime <= fromTime) throw new CodecError('range', 'checkpoint interval is empty');
  const size = r.u32('size');
  const root = r.bytes(32, 'root');
  if (chain === 2) {
    r.end();
    return { chain, fromTime, toTime, size, root };
  }
  const casesSize = r.u32('cases size');
  if (casesSize > size) throw new CodecError('range', `checkpoint: ${casesSize} case blocks of ${size} blocks`);
  const casesRoot = r.bytes(32, 'cases root');
  r.end();
  return { chain, fromTime, toTime, size, root, cases: { size: casesSize, root: casesRoot } };
}
