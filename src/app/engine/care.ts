/**
 * Family and care, on the engine side (docs/PROTOCOL.md §13, docs/APP.md §Family and care): the
 * pairing sessions behind the QR-and-code screens, the dependents this device watches over (each
 * self-matched against the notification chain with its grants, like the user's own status), the
 * guardians this device gave access to, and ending one guardian's access by rotating the watch key:
 * the guardians who keep access are handed the new generation in their care rooms; the ended one is
 * told, and its app forgets the key. A guardian in custody holds the whole key: ending that access
 * is refused, with what to do instead (`custody_end`).
 *
 * The page relays the pairing messages through signaling (base64url strings); every key stays here.
 * Pairing sessions live in memory only: a reload abandons a pairing half-way, and nothing is kept.
 *
 * Store keys: `care/dependents`, `care/guardians` (JSON); the watch schedule is the device's
 * (`device/watch-schedule`, src/app/device.ts).
 *
 * @example
 * const care = new Care(ctx, (e) => emit(e), () => exposure.load()); await care.load();
 * const { offerText } = care.offer('watch', rendezvousHex);
 * @module
 */
import { fromBase64url, fromHex, toBase64url, toHex } from '../../core/bytes.ts';
import { decodeBlock, Kind, type Block } from '../../core/codec/block.ts';
import { decodeNotification } from '../../core/codec/records.ts';
import { decodeOfferText, type Grant, type PairingMode, type PairingOffer } from '../../core/codec/pairing.ts';
import { UserKeys, type TagSource, type WatchEpoch } from '../../core/keys.ts';
import {
  careRoom, confirmMessage, isConfirmation, newPairingOffer, OFFER_TTL_SEC, openGrant, openLinkMessage, pairingScanner, rotateWatch, sealGrant, sealLinkMessage, WatchGrant, type PairingKeys,
} from '../../core/pairing.ts';
import { ExposureChecker } from '../../core/selfmatch.ts';
import { adviceFor } from '../../core/policy.ts';
import { Chain, dayOfMs, RISK_CODE, type Day, type RiskLevel } from '../../core/types.ts';
import type { CareState } from '../protocol.ts';
import { saveWatchSchedule } from '../device.ts';
import type { EngineCtx } from './context.ts';
import { readDay, readJson, writeJson, type StoredAlert } from './state.ts';

const K_DEPENDENTS = 'care/dependents';
const K_GUARDIANS = 'care/guardians';
/** Most dependents and guardians a device keeps (each list). */
export const MAX_CARE = 32;

/** One watch-key generation as kept (hex key). */
export interface StoredWatchKey {
  generation: number;
  fromDay: Day;
  watchKey: string;
}

/** A dependent as kept: its watch grants, or the whole key in custody. */
export interface StoredDependent {
  id: string;
  label: string;
  mode: PairingMode;
  pairedAt: number;
  link: string;
  /**
   * Watch mode: every generation given (the first at pairing, later ones when the dependent
   * rotated for another guardian); `untilDay` once the dependent ended this access — the keys are
   * then forgotten (`grants` empty) and only the alerts found before stay.
   */
  watch?: { grants: StoredWatchKey[]; untilDay?: Day };
  custody?: { seed: string; schedule: WatchEpoch[] };
  alerts: StoredAlert[];
  /** When a message of this pairing last arrived (the pairing itself counts). */
  lastHeardAt: number;
  /** What the dependent's device last said (STATUS heartbeat), ms; null = not yet. */
  lastSyncAt?: number | null;
  lastUploadAt?: number | null;
}

/** A care room to be in today, and for which pairing (PROTOCOL §13.3). */
export interface CareRoom {
  room: string;
  /** The dependent's or the guardian's id in this device's lists. */
  id: string;
  /** This device's side: 'dependent' sends status (and an ended notice); 'guardian' listens. */
  side: 'dependent' | 'guardian';
}

/** How long after ending access the dependent's device keeps offering the notice (days). */
export const ENDED_NOTICE_DAYS = 30;

/** A guardian this device gave access to. */
export interface StoredGuardian {
  id: string;
  label: string;
  mode: PairingMode;
  pairedAt: number;
  link: string;
  generation: number;
  /** The first day the guardian no longer covers (after "End access"). */
  endedFrom?: Day;
}

/**
 * A pairing under way. The offerer shows the code, the scanner answers it; which of them keeps the
 * key and which hands it over follows from the mode (`keeps`): in watch mode the offerer keeps, in
 * custody mode the offerer (a watch, a phone without a usable screen) hands over its own key.
 */
type Session =
  | { role: 'offerer'; mode: PairingMode; rx: ReturnType<typeof newPairingOffer>; keys?: PairingKeys }
  | { role: 'scanner'; mode: PairingMode; offer: PairingOffer; keys: PairingKeys };

/** Whether this side of a pairing keeps the key (else it hands its own over). @example keeps('offerer', 'watch') === true */
export function keeps(role: 'offerer' | 'scanner', mode: PairingMode): boolean {
  return (role === 'offerer') === (mode === 'watch');
}

/**
 * A guardian's generations with `e` added (in any order of arrival), or null when it adds nothing
 * or does not fit: days and generations increase together; a later generation for a day already
 * held replaces it (the dependent rotated twice that day).
 */
export function mergeGrant(grants: StoredWatchKey[], e: StoredWatchKey): StoredWatchKey[] | null {
  if (grants.some((x) => x.generation >= e.generation && x.fromDay <= e.fromDay && (x.fromDay === e.fromDay || x.generation === e.generation))) return null;
  const out = [...grants.filter((x) => x.fromDay !== e.fromDay), e].sort((a, b) => a.fromDay - b.fromDay);
  for (let i = 1; i < out.length; i++) if (!(out[i].generation > out[i - 1].generation)) return null;
  return out;
}

/** A stored dependent as this version keeps it (an earlier version kept one watch key: `{generation, fromDay, watchKey, untilDay?}`). */
function upgrade(d: StoredDependent): StoredDependent {
  const w = d.watch as (StoredDependent['watch'] & Partial<StoredWatchKey>) | undefined;
  if (w && !Array.isArray(w.grants)) {
    d.watch = w.untilDay !== undefined
      ? { grants: [], untilDay: w.untilDay }
      : { grants: [{ generation: w.generation!, fromDay: w.fromDay!, watchKey: w.watchKey! }] };
  }
  return d;
}

/** An error with a code the reply carries (the engine's EngineError has the same shape). */
export class CareError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CareError';
  }
}

function b64(v: unknown, what: string): Uint8Array {
  if (typeof v !== 'string' || v.length > 4096) throw new CareError('bad_intent', `${what} must be a base64url string`);
  try {
    return fromBase64url(v);
  } catch {
    throw new CareError('bad_intent', `${what} must be a base64url string`);
  }
}

function checkLabel(label: unknown): string {
  if (typeof label !== 'string' || label.trim().length === 0 || label.length > 60) throw new CareError('bad_intent', 'a label of 1..60 characters is required');
  return label.trim();
}

/**
 * The care part of the engine (see the module comment).
 * @example await care.load(); care.state().dependents.length
 */
export class Care {
  private dependents: StoredDependent[] = [];
  private guardians: StoredGuardian[] = [];
  private checkers = new Map<string, ExposureChecker>();
  private sessions = new Map<string, Session>();

  constructor(
    private readonly ctx: EngineCtx,
    private readonly onAtRisk: (d: { id: string; label: string; level: Exclude<RiskLevel, 'none'>; day: Day }) => void,
    /** Called after this device's watch schedule changed (the user's own self-match must use it). */
    private readonly onScheduleChanged: () => Promise<void>,
    /** What a STATUS heartbeat says about this device: last sync and last upload, ms (null = never). */
    private readonly statusNow: () => Promise<{ lastSyncAt: number | null; lastUploadAt: number | null }> = async () => ({ lastSyncAt: null, lastUploadAt: null }),
  ) {}

  async load(): Promise<void> {
    this.dependents = (await readJson<StoredDependent[]>(this.ctx.store, K_DEPENDENTS, [])).map(upgrade);
    this.guardians = await readJson<StoredGuardian[]>(this.ctx.store, K_GUARDIANS, []);
    this.checkers.clear();
    await this.recheck(this.dependents);
  }

  /** Self-match `who` over every notification held (a new dependent, a new generation). */
  private async recheck(who: StoredDependent[]): Promise<void> {
    const blocks: Block[] = [];
    for (const e of this.ctx.net.ledger.entries(Chain.NOTIFICATION)) {
      if (e.kind !== Kind.NOTIFICATION) continue;
      const bytes = await this.ctx.net.ledger.get(e.id);
      if (bytes) blocks.push(decodeBlock(bytes));
    }
    await this.ctx.locked(() => this.check(blocks, who));
  }

  /** The dependent's tags, or null when this device holds no key of theirs any more (access ended). */
  private tagSource(d: StoredDependent): TagSource | null {
    if (d.custody) return new UserKeys(this.ctx.c, fromHex(d.custody.seed), d.custody.schedule).watch;
    if (!d.watch || !d.watch.grants.length) return null;
    return new WatchGrant(this.ctx.c, { grants: d.watch.grants.map((g) => ({ ...g, watchKey: fromHex(g.watchKey) })), untilDay: d.watch.untilDay });
  }

  /**
   * A dependent's whole key, when this device keeps it in custody (to report a positive test for
   * them: src/app/engine/consent.ts). A watch grant cannot sign: CareError `not_custody`.
   * @example consent.make(clinicText, days, id) // with care.custodyKeys as the resolver
   */
  custodyKeys(id: string): UserKeys {
    const d = this.dependents.find((x) => x.id === id);
    if (!d) throw new CareError('not_found', 'no such person in Family and care');
    if (!d.custody) throw new CareError('not_custody', `you see ${d.label}’s status only; their own device reports for them`);
    return new UserKeys(this.ctx.c, fromHex(d.custody.seed), d.custody.schedule);
  }

  /** The ids of the dependents kept (for the consents kept for them). @example care.dependentIds() */
  dependentIds(): string[] {
    return this.dependents.map((d) => d.id);
  }

  private checker(d: StoredDependent): ExposureChecker | null {
    let x = this.checkers.get(d.id);
    if (!x) {
      const src = this.tagSource(d);
      if (!src) return null;
      this.checkers.set(d.id, (x = new ExposureChecker(this.ctx.c, src)));
    }
    return x;
  }

  /** A block was accepted: self-match it for every dependent if it is a notification. */
  accepted(b: Block): void {
    if (b.kind !== Kind.NOTIFICATION || this.dependents.length === 0) return;
    void this.ctx.locked(() => this.check([b], this.dependents)).catch(() => undefined);
  }

  /** Caller holds the lock. */
  private async check(blocks: Block[], who: StoredDependent[]): Promise<void> {
    let changed = false;
    for (const b of blocks) {
      let n;
      try {
        n = decodeNotification(b.body);
      } catch {
        continue;
      }
      for (const d of who) {
        let level: Exclude<RiskLevel, 'none'> | null;
        try {
          level = this.checker(d)?.add(n) ?? null;
        } catch {
          continue;
        }
        if (!level || d.alerts.some((a) => a.day === n.exposureDay && RISK_CODE[a.level] >= RISK_CODE[level!])) continue;
        d.alerts.push({ day: n.exposureDay, level, foundAt: this.ctx.now() });
        changed = true;
        this.onAtRisk({ id: d.id, label: d.label, level, day: n.exposureDay });
      }
    }
    if (changed) {
      await writeJson(this.ctx.store, K_DEPENDENTS, this.dependents);
      this.ctx.changed();
    }
  }

  /**
   * The first day an "End access" now would cut: today, or tomorrow when some of today's records
   * already left this device under the current watch key (PROTOCOL §13.2).
   */
  async endDay(): Promise<Day> {
    const today = dayOfMs(this.ctx.now());
    const rec = await readDay(this.ctx.store, today);
    return rec.sent.length > 0 || rec.pending.some((q) => q.kind === 'trace') ? today + 1 : today;
  }

  /** What the views show: dependents with their status in words' inputs, and guardians. */
  state(): Omit<CareState, 'pairing' | 'endFrom'> {
    const today = dayOfMs(this.ctx.now());
    const policy = this.ctx.net.ledger.authority.policy;
    return {
      dependents: this.dependents.map((d) => {
        let status: RiskLevel = 'none';
        // The same rule as the user's own status (src/app/engine/exposure.ts): alerts within their advice period.
        for (const a of d.alerts) if (adviceFor(policy, a.level, a.day, 'en').until >= today && RISK_CODE[a.level] > RISK_CODE[status]) status = a.level;
        return {
          id: d.id, label: d.label, mode: d.mode, pairedAt: d.pairedAt, lastHeardAt: d.lastHeardAt, status,
          alerts: d.alerts.map((a) => ({ day: a.day, level: a.level })).sort((x, y) => y.day - x.day),
          endedFrom: d.watch?.untilDay ?? null, lastSyncAt: d.lastSyncAt ?? null, lastUploadAt: d.lastUploadAt ?? null,
        };
      }),
      guardians: this.guardians.map((g) => ({ id: g.id, label: g.label, mode: g.mode, pairedAt: g.pairedAt, endedFrom: g.endedFrom ?? null })),
    };
  }

  private newId(): string {
    return toHex(this.ctx.c.randomBytes(8));
  }

  private session(id: unknown): Session {
    const s = typeof id === 'string' ? this.sessions.get(id) : undefined;
    if (!s) throw new CareError('no_pairing', 'this pairing is no longer open; start again');
    return s;
  }

  /**
   * The offerer: a fresh offer for the QR code. `rendezvous` is this page's signaling peer id
   * (hex). Watch: this device will keep the other's watch key; custody: it hands over its own key.
   */
  offer(mode: PairingMode, rendezvous: string): { pairing: string; offerText: string; expires: number } {
    if (mode !== 'watch' && mode !== 'custody') throw new CareError('bad_intent', 'mode must be "watch" or "custody"');
    if (typeof rendezvous !== 'string' || !/^[0-9a-f]{32}$/.test(rendezvous)) throw new CareError('bad_intent', 'rendezvous must be a 16-byte peer id in hex');
    const expires = Math.floor(this.ctx.now() / 1000) + OFFER_TTL_SEC;
    const rx = newPairingOffer(this.ctx.c, { mode, region: this.ctx.region, rendezvous: fromHex(rendezvous), expires });
    const pairing = this.newId();
    this.sessions.set(pairing, { role: 'offerer', mode, rx });
    return { pairing, offerText: rx.offerText, expires };
  }

  /** The offerer: the scanner's hello arrived; show the returned short code. */
  hello(pairing: string, hello: string): { sas: string } {
    const s = this.session(pairing);
    if (s.role !== 'offerer') throw new CareError('no_pairing', 'this device did not show the code');
    try {
      s.keys = s.rx.accept(b64(hello, 'hello'), Math.floor(this.ctx.now() / 1000));
    } catch (e) {
      this.sessions.delete(pairing);
      throw e;
    }
    return { sas: s.keys.sas };
  }

  /** The keeper: its person said the codes match; the confirmation to relay to the holder. */
  confirm(pairing: string): { confirm: string } {
    const s = this.session(pairing);
    if (!s.keys) throw new CareError('no_pairing', 'no device has answered this pairing code yet');
    if (!keeps(s.role, s.mode)) throw new CareError('no_pairing', 'this device hands its key over; it does not confirm to the other');
    return { confirm: toBase64url(confirmMessage(this.ctx.c, s.keys)) };
  }

  /**
   * The scanner: a scanned offer; the hello to relay and the short code to show. `expect` (the
   * button the person pressed) must be the offer's mode, so that a person who meant to keep
   * someone's keys never hands over their own (`wrong_mode`).
   */
  scan(offerText: string, expect?: PairingMode): { pairing: string; hello: string; sas: string; rendezvous: string; region: number; mode: PairingMode } {
    let offer: PairingOffer;
    try {
      offer = decodeOfferText(offerText);
    } catch (e) {
      throw new CareError('bad_code', (e as Error).message);
    }
    if (offer.region !== this.ctx.region) throw new CareError('bad_code', 'this pairing code belongs to another region');
    if (expect !== undefined && offer.mode !== expect) {
      throw new CareError('wrong_mode', offer.mode === 'watch' ? 'this code asks to see your risk status, not to keep their keys' : 'this code hands over a device\'s keys, not a request to see your status');
    }
    const { hello, keys } = pairingScanner(this.ctx.c, offer, Math.floor(this.ctx.now() / 1000));
    const pairing = this.newId();
    this.sessions.set(pairing, { role: 'scanner', mode: offer.mode, offer, keys });
    return { pairing, hello: toBase64url(hello), sas: keys.sas, rendezvous: toHex(offer.rendezvous), region: offer.region, mode: offer.mode };
  }

  /**
   * The holder: its person said the codes match and the keeper's confirmation arrived. Seals the
   * grant (the watch key of today's generation, or the whole key in custody) and keeps the guardian.
   */
  async send(pairing: string, confirm: string, label: unknown): Promise<{ sealed: string; guardian: string }> {
    const s = this.session(pairing);
    if (!s.keys || keeps(s.role, s.mode)) throw new CareError('no_pairing', 'this device keeps the key; it has nothing to hand over');
    const keysOf = s.keys;
    const name = checkLabel(label);
    if (!isConfirmation(this.ctx.c, keysOf, b64(confirm, 'confirm'))) throw new CareError('not_confirmed', 'the other device has not confirmed the same code');
    if (this.guardians.length >= MAX_CARE) throw new CareError('too_many', `at most ${MAX_CARE} guardians`);
    const keys = this.ctx.keys;
    const schedule = keys.watch.entries;
    const current = schedule[schedule.length - 1];
    const today = dayOfMs(this.ctx.now());
    const grant: Grant = s.mode === 'custody'
      ? { kind: 'custody', seed: keys.seed, schedule: schedule.map((e) => ({ fromDay: e.fromDay, generation: e.keys.generation })) }
      : { kind: 'watch', generation: current.keys.generation, fromDay: Math.max(current.fromDay, today - this.ctx.net.ledger.authority.policy.retentionDays), watchKey: keys.watchKey(current.keys.generation) };
    const sealed = sealGrant(this.ctx.c, keysOf, grant);
    const g: StoredGuardian = { id: this.newId(), label: name, mode: s.mode, pairedAt: this.ctx.now(), link: toHex(keysOf.link), generation: current.keys.generation };
    this.sessions.delete(pairing);
    await this.ctx.locked(async () => {
      this.guardians.push(g);
      await writeJson(this.ctx.store, K_GUARDIANS, this.guardians);
    });
    return { sealed: toBase64url(sealed), guardian: g.id };
  }

  /** The keeper: the sealed grant arrived; keep the dependent under this device's own label for them. */
  async grant(pairing: string, sealed: string, label: unknown): Promise<{ dependent: string }> {
    const s = this.session(pairing);
    const name = checkLabel(label);
    if (!s.keys || !keeps(s.role, s.mode)) throw new CareError('no_pairing', 'no device has answered this pairing code yet');
    const g = openGrant(this.ctx.c, s.keys, b64(sealed, 'sealed'));
    if ((g.kind !== 'watch' && g.kind !== 'custody') || g.kind !== s.mode) throw new CareError('bad_grant', `expected a ${s.mode} grant, got ${g.kind}`);
    if (this.dependents.length >= MAX_CARE) throw new CareError('too_many', `at most ${MAX_CARE} dependents`);
    const d: StoredDependent = {
      id: this.newId(), label: name, mode: s.mode, pairedAt: this.ctx.now(), lastHeardAt: this.ctx.now(), link: toHex(s.keys.link), alerts: [],
      ...(g.kind === 'watch'
        ? { watch: { grants: [{ generation: g.generation, fromDay: g.fromDay, watchKey: toHex(g.watchKey) }] } }
        : { custody: { seed: toHex(g.seed), schedule: g.schedule } }),
    };
    this.sessions.delete(pairing);
    await this.ctx.locked(async () => {
      this.dependents.push(d);
      await writeJson(this.ctx.store, K_DEPENDENTS, this.dependents);
    });
    await this.recheck([d]); // self-match the new dependent over the whole chain
    return { dependent: d.id };
  }

  /**
   * End a guardian's access for future days: rotate this device's watch key from the first day
   * none of whose trace batches left the device (`endDay`), and return the "access ended" notice to
   * deliver to that guardian (PROTOCOL §13.2). The guardians who keep access are handed the new
   * generation in their care rooms (`outgoing`). A guardian in custody holds the whole key, which
   * no rotation can take back: CareError `custody_end` (what to do instead is said on screen).
   */
  async endGuardian(id: unknown): Promise<{ fromDay: Day; notice: string }> {
    const g = this.guardians.find((x) => x.id === id);
    if (!g) throw new CareError('not_found', 'no such guardian');
    if (g.mode === 'custody') {
      throw new CareError('custody_end', `${g.label} keeps this device's whole key: no new watch key can shut them out. To end it, erase everything on this device and set it up again (new keys, held by this device alone)`);
    }
    if (g.endedFrom !== undefined) throw new CareError('already_ended', `${g.label}'s access already ended`);
    return this.ctx.locked(async () => {
      const fromDay = await this.endDay();
      const old = this.ctx.keys.watch.entries.map((e) => ({ fromDay: e.fromDay, generation: e.keys.generation }));
      const schedule = rotateWatch(old, fromDay);
      await saveWatchSchedule(this.ctx.store, schedule);
      this.ctx.keys = new UserKeys(this.ctx.c, this.ctx.keys.seed, schedule);
      g.endedFrom = fromDay;
      await writeJson(this.ctx.store, K_GUARDIANS, this.guardians);
      const notice = sealLinkMessage(this.ctx.c, fromHex(g.link), { kind: 'ended', generation: g.generation, fromDay });
      return { fromDay, notice: toBase64url(notice) };
    }).then(async (r) => {
      await this.onScheduleChanged();
      this.ctx.changed();
      return r;
    });
  }

  /** Guardians still covered (not ended), by id: to hand them a new generation at once. */
  liveGuardians(): string[] {
    return this.guardians.filter((g) => g.endedFrom === undefined).map((g) => g.id);
  }

  /**
   * The care rooms to be in today: one per guardian this device reports to (an ended one for
   * {@link ENDED_NOTICE_DAYS} days, to hand it the notice) and one per dependent still watched.
   */
  rooms(): CareRoom[] {
    const today = dayOfMs(this.ctx.now());
    const out: CareRoom[] = [];
    for (const g of this.guardians) {
      if (g.endedFrom !== undefined && today > g.endedFrom + ENDED_NOTICE_DAYS) continue;
      out.push({ room: careRoom(this.ctx.c, fromHex(g.link), today), id: g.id, side: 'dependent' });
    }
    for (const d of this.dependents) {
      if (d.watch?.untilDay !== undefined) continue; // access ended: nothing more to hear
      out.push({ room: careRoom(this.ctx.c, fromHex(d.link), today), id: d.id, side: 'guardian' });
    }
    return out;
  }

  /**
   * The link messages to send to a guardian met in its care room: the ended notice; or a status
   * heartbeat and, in watch mode, every watch-key generation in force since the pairing's (the
   * guardian keeps what it lacks: a rotation that ended another guardian changes nothing for it).
   */
  async outgoing(id: unknown): Promise<string[]> {
    const g = this.guardians.find((x) => x.id === id);
    if (!g) throw new CareError('not_found', 'no such guardian');
    const link = fromHex(g.link);
    const seal = (m: Grant) => toBase64url(sealLinkMessage(this.ctx.c, link, m));
    if (g.endedFrom !== undefined) return [seal({ kind: 'ended', generation: g.generation, fromDay: g.endedFrom })];
    const s = await this.statusNow();
    const sec = (ms: number | null) => (ms === null ? 0 : Math.floor(ms / 1000));
    const out = [seal({ kind: 'status', at: sec(this.ctx.now()), lastSyncAt: sec(s.lastSyncAt), lastUploadAt: sec(s.lastUploadAt) })];
    if (g.mode === 'watch') {
      for (const e of this.ctx.keys.watch.entries) {
        if (e.keys.generation > g.generation) out.push(seal({ kind: 'watch', generation: e.keys.generation, fromDay: e.fromDay, watchKey: e.keys.watchKey }));
      }
    }
    return out;
  }

  /**
   * A later message of a dependent's pairing arrived: a status heartbeat, a new watch generation
   * (kept; the chain is matched again for it), or "access ended" (the keys are forgotten; the
   * alerts found before stay).
   */
  async message(id: unknown, message: string): Promise<{ kind: Grant['kind'] }> {
    const d = this.dependents.find((x) => x.id === id);
    if (!d) throw new CareError('not_found', 'no such dependent');
    const g = openLinkMessage(this.ctx.c, fromHex(d.link), b64(message, 'message'));
    let fresh = false;
    await this.ctx.locked(async () => {
      d.lastHeardAt = this.ctx.now();
      if (g.kind === 'status') {
        // The dependent's own clock: never later than ours (a wrong clock must not claim the future).
        const ms = (s: number) => (s === 0 ? null : Math.min(s * 1000, this.ctx.now()));
        d.lastSyncAt = ms(g.lastSyncAt);
        d.lastUploadAt = ms(g.lastUploadAt);
      }
      const w = d.watch;
      if (g.kind === 'ended' && w && w.untilDay === undefined) {
        w.untilDay = g.fromDay;
        w.grants = []; // the key is forgotten: this device no longer looks
        this.checkers.delete(d.id);
      } else if (g.kind === 'watch' && w && w.untilDay === undefined && w.grants.length) {
        const merged = mergeGrant(w.grants, { generation: g.generation, fromDay: g.fromDay, watchKey: toHex(g.watchKey) });
        if (merged) {
          w.grants = merged;
          this.checkers.delete(d.id);
          fresh = true;
        }
      }
      await writeJson(this.ctx.store, K_DEPENDENTS, this.dependents);
    });
    if (fresh) await this.recheck([d]); // notifications already held may name the new generation's days
    this.ctx.changed();
    return { kind: g.kind };
  }

  /** Stop watching over a dependent (forget its keys on this device). */
  async removeDependent(id: unknown): Promise<void> {
    await this.ctx.locked(async () => {
      const n = this.dependents.length;
      this.dependents = this.dependents.filter((d) => d.id !== id);
      if (this.dependents.length === n) throw new CareError('not_found', 'no such dependent');
      this.checkers.delete(id as string);
      await writeJson(this.ctx.store, K_DEPENDENTS, this.dependents);
    });
  }
}
