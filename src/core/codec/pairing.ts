/**
 * Wire formats of guardian pairing (docs/PROTOCOL.md §13.1): the pairing offer a receiving device
 * shows as a QR code, the messages of the handshake relayed by signaling, and the key material
 * that crosses, sealed, once both people compared the short code.
 *
 * - Offer (QR text `BTPAIR1:` + base64url): version u8 = 1 ‖ mode u8 (1 watch: the offerer keeps a
 *   watch key; 3 custody: the offerer hands over its whole key; 2, custody with the offerer
 *   keeping, is no longer made and is refused — issue 18) ‖
 *   region u16 ‖ rendezvous peer id 16 ‖ receiver X25519 public key 32 ‖ expires u32 (Unix s).
 *   56 bytes, 75 characters of base64url: a version-3 QR code.
 * - Grant (sealed, holder → keeper): kind u8 ‖ …
 *     kind 1 WATCH:   generation u32 ‖ fromDay u32 ‖ watch key 32
 *     kind 2 CUSTODY: seed 32 ‖ n u8 (1..32) ‖ n × (fromDay u32 ‖ generation u32)
 *     kind 3 ENDED:   generation u32 ‖ fromDay u32 (the guardian's access ends from that day)
 *     kind 4 STATUS:  at u32 ‖ lastSyncAt u32 ‖ lastUploadAt u32 (Unix s, 0 = never; a care-room heartbeat)
 *
 * @example
 * const text = encodeOfferText({ mode: 'watch', region: 1, rendezvous, receiverPub, expires });
 * decodeOfferText(text).mode === 'watch'
 * @module
 */
import { fromBase64url, toBase64url } from '../bytes.ts';
import { CodecError } from '../errors.ts';
import type { Day } from '../types.ts';
import { Reader, Writer } from './wire.ts';

/** QR text prefix of a pairing offer. */
export const OFFER_PREFIX = 'BTPAIR1:';
/** Bytes of an encoded offer. */
export const OFFER_BYTES = 56;
/** Most entries a custody grant's watch schedule may carry. */
export const MAX_SCHEDULE = 32;

/** What a guardian will hold: the watch key only, or the dependent's whole key (custody). */
export type PairingMode = 'watch' | 'custody';
/** Mode bytes: watch (the offerer keeps a watch key) and custody (the offerer hands over its key). */
const MODE_CODE: Record<PairingMode, number> = { watch: 1, custody: 3 };
/** The retired mode byte: custody with the offerer keeping (a device without a usable screen had to scan). */
const RETIRED_CUSTODY = 2;

/** A pairing offer (shown by the receiving device as a QR code). */
export interface PairingOffer {
  mode: PairingMode;
  region: number;
  /** The offerer's signaling peer id (16 bytes), so the scanner can reach it through the relay. */
  rendezvous: Uint8Array;
  /** The offerer's ephemeral X25519 public key for this pairing only. */
  receiverPub: Uint8Array;
  /** Unix seconds after which neither side accepts the offer. */
  expires: number;
}

/** Key material that crosses, sealed to the pairing. */
export type Grant =
  | { kind: 'watch'; generation: number; fromDay: Day; watchKey: Uint8Array }
  | { kind: 'custody'; seed: Uint8Array; schedule: { fromDay: Day; generation: number }[] }
  | { kind: 'ended'; generation: number; fromDay: Day }
  | { kind: 'status'; at: number; lastSyncAt: number; lastUploadAt: number };

/** Encode an offer's bytes. @example encodeOffer(offer).length === OFFER_BYTES */
export function encodeOffer(o: PairingOffer): Uint8Array {
  const code = MODE_CODE[o.mode];
  if (!code) throw new TypeError(`pairing offer: unknown mode ${JSON.stringify(o.mode)}`);
  return new Writer(OFFER_BYTES).u8(1).u8(code).u16(o.region).bytes(o.rendezvous, 16).bytes(o.receiverPub, 32).u32(o.expires).finish();
}

/** Decode an offer's bytes (CodecError naming the field when wrong). @example decodeOffer(bytes).region */
export function decodeOffer(b: Uint8Array): PairingOffer {
  const r = new Reader(b, 'pairing offer');
  const v = r.u8('version');
  if (v !== 1) throw new CodecError('bad_version', `pairing offer: version ${v} is not supported (this app reads version 1)`);
  const m = r.u8('mode');
  if (m === RETIRED_CUSTODY) throw new CodecError('bad_field', 'pairing offer: mode 2 (custody kept by the device showing the code) is no longer used: the device whose keys are kept shows the code now');
  const mode = (Object.keys(MODE_CODE) as PairingMode[]).find((k) => MODE_CODE[k] === m);
  if (!mode) throw new CodecError('bad_field', `pairing offer: mode ${m} unknown`);
  const o = { mode, region: r.u16('region'), rendezvous: r.bytes(16, 'rendezvous'), receiverPub: r.bytes(32, 'receiver key'), expires: r.u32('expires') };
  r.end();
  return o;
}

/** The QR text of an offer. @example encodeOfferText(o).startsWith('BTPAIR1:') */
export function encodeOfferText(o: PairingOffer): string {
  return OFFER_PREFIX + toBase64url(encodeOffer(o));
}

/**
 * Read a scanned QR text as a pairing offer. CodecError `not_pairing` for any other QR code
 * (a consent code, a venue poster, a web link), `truncated`/`bad_field` for a damaged one.
 * @example decodeOfferText(scanned).receiverPub
 */
export function decodeOfferText(text: string): PairingOffer {
  if (typeof text !== 'string' || !text.startsWith(OFFER_PREFIX)) throw new CodecError('not_pairing', 'this QR code is not a BeepTrace pairing code');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64url(text.slice(OFFER_PREFIX.length).trim());
  } catch (e) {
    throw new CodecError('bad_field', `pairing code: ${(e as Error).message}`);
  }
  return decodeOffer(bytes);
}

/** Encode a grant (the plaintext that is sealed). @example encodeGrant({ kind: 'ended', generation: 0, fromDay: 20500 }) */
export function encodeGrant(g: Grant): Uint8Array {
  const w = new Writer(64);
  switch (g.kind) {
    case 'watch':
      return w.u8(1).u32(g.generation).u32(g.fromDay).bytes(g.watchKey, 32).finish();
    case 'custody': {
      if (g.schedule.length < 1 || g.schedule.length > MAX_SCHEDULE) throw new RangeError(`custody grant: 1..${MAX_SCHEDULE} schedule entries, got ${g.schedule.length}`);
      w.u8(2).bytes(g.seed, 32).u8(g.schedule.length);
      for (const e of g.schedule) w.u32(e.fromDay).u32(e.generation);
      return w.finish();
    }
    case 'ended':
      return w.u8(3).u32(g.generation).u32(g.fromDay).finish();
    case 'status':
      return w.u8(4).u32(g.at).u32(g.lastSyncAt).u32(g.lastUploadAt).finish();
    default:
      throw new TypeError(`grant: unknown kind ${JSON.stringify((g as { kind: unknown }).kind)}`);
  }
}

/** Decode a grant (CodecError when malformed). @example decodeGrant(bytes).kind */
export function decodeGrant(b: Uint8Array): Grant {
  const r = new Reader(b, 'pairing grant');
  const k = r.u8('kind');
  let g: Grant;
  if (k === 1) g = { kind: 'watch', generation: r.u32('generation'), fromDay: r.u32('fromDay'), watchKey: r.bytes(32, 'watch key') };
  else if (k === 2) {
    const seed = r.bytes(32, 'seed');
    const n = r.check(r.u8('schedule length'), 1, MAX_SCHEDULE, 'schedule length');
    const schedule: { fromDay: Day; generation: number }[] = [];
    for (let i = 0; i < n; i++) schedule.push({ fromDay: r.u32('fromDay'), generation: r.u32('generation') });
    g = { kind: 'custody', seed, schedule };
  } else if (k === 3) g = { kind: 'ended', generation: r.u32('generation'), fromDay: r.u32('fromDay') };
  else if (k === 4) g = { kind: 'status', at: r.u32('at'), lastSyncAt: r.u32('lastSyncAt'), lastUploadAt: r.u32('lastUploadAt') };
  else throw new CodecError('bad_field', `pairing grant: kind ${k} unknown`);
  r.end();
  return g;
}
