/**
 * Guardian pairing (docs/PROTOCOL.md §13.1–13.2): the key agreement behind the two QR-and-code
 * screens, the sealing of what crosses, a guardian's watch grants, and the rotation that ends a
 * guardian's access for future days. Pure; the app relays the messages through signaling.
 *
 * Two devices, two pairs of roles. The **offerer** shows an offer with a fresh X25519 key; the
 * **scanner** scans it, makes its own ephemeral key and sends `hello` = its public key. The
 * **holder** has the key that is handed over; the **keeper** receives it. In watch mode the
 * guardian's phone offers and keeps a watch key; in custody mode the dependent's device (a watch, a
 * phone without a usable screen) offers and hands over its whole key — so a device that cannot scan
 * pairs by showing a code. Both compute
 *   K = X25519(own secret, other public), h = SHA-256("BeepTrace/pair/v1" ‖ offer ‖ scannerPub),
 *   k_x = HKDF(ikm = K, salt = h, info = "pair/" ‖ x) for x in {sas, to-receiver, to-sender, link}
 * ("to-receiver" seals to the keeper, "to-sender" to the holder: the labels of version 1, when the
 * offerer was always the keeper) and show the same six-digit short code from k_sas. Each person
 * checks both screens show the same code. The keeper's "they match" sends `confirm` (AEAD under
 * k_to-sender); the holder seals the grant (AEAD under k_to-receiver) only after its own person
 * confirmed and it received the keeper's confirm. Each key seals one message (zero nonce).
 *
 * What a bystander who photographed the offer learns: the offerer's ephemeral public key and
 * signaling id; it can compute no k_x (it lacks both secrets). If it races the real scanner, the
 * offerer sees two hellos (and aborts, telling both scanners) or the codes differ on the screens.
 *
 * @example
 * const o = newPairingOffer(c, { mode: 'watch', region: 1, rendezvous, expires });
 * const s = pairingScanner(c, decodeOfferText(o.offerText), nowSec);
 * const ok = o.accept(s.hello, nowSec);   // ok.sas === s.keys.sas
 * const sealed = sealGrant(c, s.keys, { kind: 'watch', ... });  // the holder, after both confirmed
 * openGrant(c, ok, sealed).kind === 'watch'
 * @module
 */
import { hkdf, type CryptoProvider } from './crypto.ts';
import { abytes, concat, toHex, u32be, utf8 } from './bytes.ts';
import { CodecError, InputError } from './errors.ts';
import { decodeGrant, encodeGrant, encodeOffer, encodeOfferText, type Grant, type PairingMode, type PairingOffer } from './codec/pairing.ts';
import { WatchKeys, type TagSource, type WatchEpoch } from './keys.ts';
import type { Day } from './types.ts';

const L_PAIR = utf8('BeepTrace/pair/v1');
const L_CONFIRM = utf8('BeepTrace/pair/confirm');
const ZERO_NONCE = new Uint8Array(12);
/** How long an offer stays valid by default (seconds). */
export const OFFER_TTL_SEC = 300;

/** The keys both sides derive. `sas` is the six-digit code shown on both screens. */
export interface PairingKeys {
  sas: string;
  /** Seals the grant, holder → keeper ("pair/to-receiver"). */
  toKeeper: Uint8Array;
  /** Seals the keeper's confirmation, keeper → holder ("pair/to-sender"). */
  toHolder: Uint8Array;
  /** A key the two devices keep for later messages of this pairing (an "access ended" notice). */
  link: Uint8Array;
}

function derive(c: CryptoProvider, shared: Uint8Array, offer: Uint8Array, scannerPub: Uint8Array): PairingKeys {
  const h = c.sha256(concat(L_PAIR, offer, scannerPub));
  const k = (x: string) => hkdf(c, shared, h, utf8(`pair/${x}`), 32);
  const s = k('sas');
  const n = ((s[0] << 24) | (s[1] << 16) | (s[2] << 8) | s[3]) >>> 0;
  return { sas: String(n % 1_000_000).padStart(6, '0'), toKeeper: k('to-receiver'), toHolder: k('to-sender'), link: k('link') };
}

function checkFresh(offer: PairingOffer, nowSec: number): void {
  if (nowSec > offer.expires) throw new InputError('expired', 'this pairing code has expired; ask for a new one');
}

/**
 * The side that shows the code: a fresh ephemeral key and the offer. In watch mode it will keep a
 * watch key; in custody mode it hands over its own key.
 * @example const o = newPairingOffer(c, { mode: 'watch', region: 1, rendezvous, expires: now + OFFER_TTL_SEC })
 */
export function newPairingOffer(c: CryptoProvider, o: { mode: PairingMode; region: number; rendezvous: Uint8Array; expires: number }) {
  const secret = c.randomBytes(32);
  const offer: PairingOffer = { ...o, receiverPub: c.x25519PublicKey(secret) };
  const offerBytes = encodeOffer(offer);
  let accepted = false;
  return {
    offer,
    offerText: encodeOfferText(offer),
    /**
     * Take the scanner's hello; returns the pairing keys (show `sas`). A second hello, or one
     * after expiry, is refused (InputError `second_sender` / `expired`): start again.
     */
    accept(hello: Uint8Array, nowSec: number): PairingKeys {
      checkFresh(offer, nowSec);
      if (accepted) throw new InputError('second_sender', 'a second device answered this pairing code; start again with a new code');
      abytes(hello, 32, 'pairing hello');
      accepted = true;
      let shared: Uint8Array;
      try {
        shared = c.x25519(secret, hello);
      } catch {
        throw new CodecError('bad_field', 'pairing hello: not a usable X25519 public key');
      }
      return derive(c, shared, offerBytes, hello);
    },
  };
}

/**
 * The side that scanned an offer: its hello (32 bytes, to relay to the offerer) and the pairing
 * keys (show `sas`). An expired offer is refused.
 * @example const s = pairingScanner(c, decodeOfferText(text), Math.floor(Date.now() / 1000))
 */
export function pairingScanner(c: CryptoProvider, offer: PairingOffer, nowSec: number): { hello: Uint8Array; keys: PairingKeys } {
  checkFresh(offer, nowSec);
  const secret = c.randomBytes(32);
  const hello = c.x25519PublicKey(secret);
  let shared: Uint8Array;
  try {
    shared = c.x25519(secret, offer.receiverPub);
  } catch {
    throw new CodecError('bad_field', 'pairing code: its key is not a usable X25519 public key');
  }
  return { hello, keys: derive(c, shared, encodeOffer(offer), hello) };
}

/** The keeper's "the codes match" message. @example relay(confirmMessage(c, keys)) */
export function confirmMessage(c: CryptoProvider, keys: PairingKeys): Uint8Array {
  return c.aeadSeal(keys.toHolder, ZERO_NONCE, new Uint8Array(0), L_CONFIRM);
}

/** True when `msg` is the keeper's confirmation for these keys. @example isConfirmation(c, s.keys, msg) */
export function isConfirmation(c: CryptoProvider, keys: PairingKeys, msg: Uint8Array): boolean {
  return msg instanceof Uint8Array && c.aeadOpen(keys.toHolder, ZERO_NONCE, msg, L_CONFIRM) !== null;
}

/** Seal the grant to the keeper (once per pairing; the holder does it). @example relay(sealGrant(c, s.keys, grant)) */
export function sealGrant(c: CryptoProvider, keys: PairingKeys, g: Grant): Uint8Array {
  return c.aeadSeal(keys.toKeeper, ZERO_NONCE, encodeGrant(g), L_PAIR);
}

/** Open the sealed grant (InputError `bad_grant` when it does not authenticate). @example openGrant(c, keys, sealed) */
export function openGrant(c: CryptoProvider, keys: PairingKeys, sealed: Uint8Array): Grant {
  const pt = sealed instanceof Uint8Array ? c.aeadOpen(keys.toKeeper, ZERO_NONCE, sealed, L_PAIR) : null;
  if (!pt) throw new InputError('bad_grant', 'the key material did not come from the paired device (or was altered)');
  return decodeGrant(pt);
}

/**
 * Seal a later message of a pairing (an "access ended" notice) under its link key, with a random
 * nonce (few messages per pairing). @example relay(sealLinkMessage(c, link, { kind: 'ended', generation: 0, fromDay }))
 */
export function sealLinkMessage(c: CryptoProvider, link: Uint8Array, g: Grant): Uint8Array {
  const nonce = c.randomBytes(12);
  return concat(nonce, c.aeadSeal(link, nonce, encodeGrant(g), L_PAIR));
}

/** Open a link message (InputError `bad_grant` when it does not authenticate). @example openLinkMessage(c, link, msg) */
export function openLinkMessage(c: CryptoProvider, link: Uint8Array, msg: Uint8Array): Grant {
  const pt = msg instanceof Uint8Array && msg.length > 12 ? c.aeadOpen(link, msg.subarray(0, 12), msg.subarray(12), L_PAIR) : null;
  if (!pt) throw new InputError('bad_grant', 'a message that does not belong to this pairing');
  return decodeGrant(pt);
}

const L_CARE_ROOM = utf8('BeepTrace/care-room/v1');

/**
 * The signaling room where the two devices of a pairing meet on `day` (PROTOCOL §13.3): a name
 * both derive from the link key and the day, so the server sees a fresh random name each day and
 * nobody else can find or join it.
 * @example careRoom(c, link, 20500) // 'beeptrace/v1/care/3f…' (32 hex)
 */
export function careRoom(c: CryptoProvider, link: Uint8Array, day: Day): string {
  const h = c.sha256(concat(L_CARE_ROOM, abytes(link, 32, 'link key'), u32be(day)));
  return `beeptrace/v1/care/${toHex(h.subarray(0, 16))}`;
}

/** One watch-key generation a guardian was given: in force from `fromDay` (until the next one's). */
export interface WatchGrantEntry {
  generation: number;
  fromDay: Day;
  watchKey: Uint8Array;
}

/**
 * What a guardian holds in watch mode: the watch-key generations it was given, each from the day
 * it took effect (the first from the day of the pairing; later ones as the dependent rotates for
 * another guardian, PROTOCOL §13.2), until the dependent ends this guardian's access
 * (`untilDay`, exclusive). Its tags name only the days it covers, each under the generation in force.
 * @example new WatchGrant(c, { grants: [{ generation: 0, fromDay: 20000, watchKey }] }).tag(20010)
 */
export class WatchGrant implements TagSource {
  private readonly entries: { fromDay: Day; keys: WatchKeys }[];
  constructor(
    c: CryptoProvider,
    readonly grant: { grants: readonly WatchGrantEntry[]; untilDay?: Day },
  ) {
    const sorted = [...grant.grants].sort((a, b) => a.fromDay - b.fromDay);
    if (!sorted.length) throw new RangeError('a watch grant holds at least one generation');
    for (let i = 1; i < sorted.length; i++) {
      if (!(sorted[i].generation > sorted[i - 1].generation)) throw new RangeError('watch grant: a later day needs a later generation');
    }
    this.entries = sorted.map((g) => ({ fromDay: g.fromDay, keys: new WatchKeys(c, g.watchKey, g.generation) }));
  }
  /** Whether the dependent ended this access. */
  get ended(): boolean {
    return this.grant.untilDay !== undefined;
  }
  covers(day: Day): boolean {
    return day >= this.entries[0].fromDay && (this.grant.untilDay === undefined || day < this.grant.untilDay);
  }
  tag(day: Day): Uint8Array | null {
    if (!this.covers(day)) return null;
    for (let i = this.entries.length - 1; i >= 0; i--) if (day >= this.entries[i].fromDay) return this.entries[i].keys.tag(day);
    return null;
  }
}

/**
 * Rotate a watch schedule so that a new generation is in force from `fromDay` (the first day not
 * yet uploaded): every guardian holding an older generation names no day from `fromDay` on.
 * Rotating twice on one day replaces that day's generation. RangeError for a day before the
 * schedule's last entry.
 * @example rotateWatch([{ fromDay: 0, generation: 0 }], 20500) // [{0,0},{20500,1}]
 */
export function rotateWatch(schedule: readonly WatchEpoch[], fromDay: Day): WatchEpoch[] {
  if (schedule.length === 0) throw new RangeError('rotateWatch: empty schedule');
  const last = schedule[schedule.length - 1];
  if (fromDay < last.fromDay) throw new RangeError(`rotateWatch: day ${fromDay} is before the current generation's first day ${last.fromDay}`);
  const next = { fromDay, generation: last.generation + 1 };
  return fromDay === last.fromDay ? [...schedule.slice(0, -1), next] : [...schedule, next];
}
