/**
 * The app's engine (docs/APP.md §Engine): device keys, recording, the upload queue, self-matching,
 * backup and settings, over one opened store and one node. DOM-free: it runs in the app's Worker
 * and, in tests, in Node. It speaks the page↔engine protocol of src/app/protocol.ts: `handle`
 * takes a `ToEngine` message, and every `FromEngine` message (replies, new states, events) goes to
 * the `onMessage` listeners — so the worker entry wires it to a MessagePort in a few lines:
 *
 * @example
 * const engine = await AppEngine.open({ store, crypto: nobleCrypto, config, net: (a) => assembleThin(a) });
 * engine.onMessage((m) => port.postMessage(m));
 * port.onmessage = (ev) => engine.handle(ev.data);
 * @module
 */
import type { BlockStore } from '../../core/store.ts';
import type { CryptoProvider } from '../../core/crypto.ts';
import { UserKeys } from '../../core/keys.ts';
import { fromHex, toHex } from '../../core/bytes.ts';
import { DeviceError, possessionProofs } from '../../core/device.ts';
import { BeepTraceError } from '../../core/errors.ts';
import { dayOfMs, type Day, type Fix } from '../../core/types.ts';
import { initialState, type AppConfig, type AppEvent, type AppState, type ConsentProof, type DaySummary, type FromEngine, type Intent, type NetworkState, type Settings, type ToEngine } from '../protocol.ts';
import { loadDevice } from '../device.ts';
import { serialQueue, type EngineCtx, type NodeHandle } from './context.ts';
import { CheckpointTracker } from './checkpoints.ts';
import { Recording } from './recording.ts';
import { Uploads } from './uploads.ts';
import { Exposure } from './exposure.ts';
import { BackupError, DEFAULT_KDF, openBackup, sealBackup, type KdfParams } from './backup.ts';
import { collectBackup, deleteDatabase, restoreBackup } from './my-data.ts';
import { networkState } from './network.ts';
import { Care, CareError } from './care.ts';
import { CareRelay, type SignalConnection } from './care-relay.ts';
import { Clinic, ClinicError } from './clinic.ts';
import { Consent } from './consent.ts';
import { CHECKIN_POLL_MS, Venue } from './venue.ts';
import { TransparencyView } from './transparency.ts';
import { DEFAULT_SETTINGS, K, checkSettings, listDays, readDay, readJson, writeDay, writeJson } from './state.ts';

export type { NodeHandle } from './context.ts';
export { IMPORT_PART_MARGIN } from './my-data.ts';

/** How to open an engine. @example AppEngine.open({ store, crypto: nobleCrypto, config: { region: 1 }, net }) */
export interface AppEngineOptions {
  /** The opened store (IdbStore in the browser); the node's ledger uses the same one. */
  store: BlockStore;
  crypto: CryptoProvider;
  /** The one clock, ms since the Unix epoch. Default `Date.now`. */
  now?: () => number;
  /** The app's configuration (only `region` is read here; the node factory uses the rest). */
  config: Pick<AppConfig, 'region'> & Partial<AppConfig>;
  /** The node, or a factory that builds it from the store and the device keys (after the seed exists; `keys()` says what they are now, since a backup import replaces them). */
  net: NodeHandle | ((a: { store: BlockStore; keys: () => UserKeys }) => Promise<NodeHandle>);
  /** Delete the database after the store is closed ('erase'). Default: `idbFactory.deleteDatabase(store.name)`. */
  eraseDatabase?: () => Promise<void>;
  /** Where the default `eraseDatabase` deletes. Default `globalThis.indexedDB`. */
  idbFactory?: IDBFactory;
  /** Housekeeping period (automatic uploads, network state), ms. 0: no timer, call `tick()`. Default 30 000. */
  tickMs?: number;
  /** Under 'asap', today's new stays are sealed at most this often, ms. Default one hour. */
  todayUploadEveryMs?: number;
  /** scrypt cost of exported backups. Default `DEFAULT_KDF` (log2 N = 17, r = 8, p = 1). */
  backupKdf?: KdfParams;
  /** A new signaling connection joining `rooms` (guardian pairing and care rooms, src/app/engine/care-relay.ts); absent: no pairing. */
  signal?: (rooms: string[]) => SignalConnection;
  /** The signaling connection as the transport sees it, for the network view. Default: 'open' with peers, else 'connecting'. */
  signaling?: () => NetworkState['signaling'];
}

/** An intent failed: the reply's error code. @example throw new EngineError('closed', 'the engine is closed') */
export class EngineError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/**
 * Store key of the relay opt-in (one byte, 1 = relay): the same key as `RELAY_KEY` of
 * src/app/thin-node.ts, which is not imported here because that module brings WebRTC (simple-peer)
 * into the worker's bundle. @example await store.getValue(ENGINE_RELAY_KEY)
 */
export const ENGINE_RELAY_KEY = 'net/relay';

/**
 * The engine behind the app's views. Open it with `AppEngine.open`; see the module comment.
 * @example const engine = await AppEngine.open(options); await engine.handle({ kind: 'intent', id: 1, intent: { type: 'upload-now' } });
 */
export class AppEngine {
  private readonly listeners = new Set<(m: FromEngine) => void>();
  private readonly now: () => number;
  private ctx!: EngineCtx;
  private tracker!: CheckpointTracker;
  private recording!: Recording;
  private uploads!: Uploads;
  private exposure!: Exposure;
  private care!: Care;
  private relay!: CareRelay;
  private clinic!: Clinic;
  private consent!: Consent;
  private venue!: Venue;
  private venueTimer: ReturnType<typeof setInterval> | null = null;
  private transparency!: TransparencyView;
  private settings: Settings = { ...DEFAULT_SETTINGS };
  private onboarded = false;
  private keysCreated: number | null = null;
  private relayOptIn = false;
  private current: AppState = initialState();
  private lastSent = '';
  private pushing = false;
  private again = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private unsubscribe: (() => void) | null = null;
  private closed = false;
  private readonly heldEvents: FromEngine[] = [];

  private constructor(private readonly o: AppEngineOptions) {
    this.now = o.now ?? (() => Date.now());
  }

  /**
   * Open the engine: load (or, on first run, atomically create) the device seed, the settings,
   * the recorder with its open stay, the alerts; build and start the node; check every
   * notification already held; republish blocks sealed but not yet handed to the node.
   * @example const engine = await AppEngine.open({ store, crypto, config: { region: 1 }, net })
   */
  static async open(o: AppEngineOptions): Promise<AppEngine> {
    const e = new AppEngine(o);
    await e.start();
    return e;
  }

  private async start(): Promise<void> {
    const { store } = this.o;
    const device = await loadDevice(store, this.o.crypto, this.now());
    this.keysCreated = device.created;
    this.settings = { ...DEFAULT_SETTINGS, ...(await readJson<Partial<Settings>>(store, K.settings, {})) };
    this.onboarded = await readJson<boolean>(store, K.onboarded, false);
    this.relayOptIn = (await store.getValue(ENGINE_RELAY_KEY))?.[0] === 1;
    const net = typeof this.o.net === 'function' ? await this.o.net({ store, keys: () => this.ctx?.keys ?? device.keys }) : this.o.net;
    this.ctx = {
      store, c: this.o.crypto, now: this.now, region: this.o.config.region, keys: device.keys, net, locked: serialQueue(), changed: () => this.changed(),
    };
    this.tracker = new CheckpointTracker(net.ledger);
    await this.tracker.load();
    this.recording = new Recording(this.ctx);
    await this.recording.load(this.settings.precision);
    this.uploads = new Uploads(this.ctx, this.tracker, this.o.todayUploadEveryMs);
    this.exposure = new Exposure(this.ctx, this.tracker, (a) => this.emit({ kind: 'event', event: { type: 'new-exposure', alert: this.exposure.view(a, this.settings.lang) } }));
    await this.exposure.load();
    this.care = new Care(this.ctx, (d) => this.emit({ kind: 'event', event: { type: 'dependent-at-risk', ...d } }), () => this.exposure.load(), () => this.ownStatus());
    await this.care.load();
    this.relay = new CareRelay(this.care, { region: this.o.config.region, connect: this.o.signal ?? null, changed: () => this.changed(), now: this.now });
    this.relay.syncRooms();
    this.uploads.onSent = () => this.relay.statusChanged(); // guardians hear of an upload at once
    this.clinic = new Clinic(this.ctx);
    this.consent = new Consent(this.ctx, (id) => this.care.custodyKeys(id));
    await this.consent.load(this.care.dependentIds());
    this.venue = new Venue(this.ctx, this.recording);
    await this.venue.load();
    this.transparency = new TransparencyView(net.ledger);
    this.unsubscribe = net.ledger.onBlock((e, b) => {
      const counts = net.ledger.counts(e.hex); // a revoked signer's statement is stored but does not count (PROTOCOL §9.1)
      if (counts) this.consent.accepted(b);
      if (counts) this.transparency.accepted(b, e.id);
      try {
        if (this.tracker.add(b, e.hex)) this.changed();
      } catch {
        // a checkpoint the ledger accepted decodes; never let a surprise reach the ledger
      }
      if (counts) this.exposure.accepted(b);
      if (counts) this.care.accepted(b);
    });
    if (net.start) net.start();
    else net.node.start();
    const tickMs = this.o.tickMs ?? 30_000;
    if (tickMs > 0) this.timer = setInterval(() => void this.tick(), tickMs);
    if (tickMs > 0) this.venueTimer = setInterval(() => void this.venue.expire().catch(() => undefined), CHECKIN_POLL_MS);
    void this.uploads.publishPending();
    void this.consent.scanHeld().catch(() => undefined);
    this.changed();
  }

  /** Subscribe to every message for the page (states, replies, events). Returns an unsubscribe. */
  onMessage(fn: (m: FromEngine) => void): () => void {
    this.listeners.add(fn);
    fn({ kind: 'state', state: this.current });
    const held = this.heldEvents.splice(0);
    for (const m of held) this.emit(m);
    return () => this.listeners.delete(fn);
  }

  /** The latest state pushed. */
  get state(): AppState {
    return this.current;
  }

  private emit(m: FromEngine): void {
    if (m.kind === 'event' && this.listeners.size === 0) {
      this.heldEvents.push(m); // found while opening (before the page listened): told on the first onMessage
      return;
    }
    for (const fn of this.listeners) {
      try {
        fn(m);
      } catch {
        // a listener's failure must not stop the engine
      }
    }
  }

  /** Something changed: build and push a new state (coalesced; skipped when nothing differs). */
  private changed(): void {
    if (this.closed) return;
    if (this.pushing) {
      this.again = true;
      return;
    }
    this.pushing = true;
    queueMicrotask(() => void this.push());
  }

  private async push(): Promise<void> {
    try {
      do {
        this.again = false;
        const s = await this.buildState();
        if (this.closed) return;
        const json = JSON.stringify(s);
        if (json !== this.lastSent) {
          this.lastSent = json;
          this.current = s;
          this.emit({ kind: 'state', state: s });
        }
      } while (this.again);
    } catch {
      // the store went away (erase, close); the next change tries again
    } finally {
      this.pushing = false;
    }
  }

  /** Build the state now (and push it if it changed). @example const s = await engine.refresh() */
  async refresh(): Promise<AppState> {
    const s = await this.buildState();
    const json = JSON.stringify(s);
    if (json !== this.lastSent && !this.closed) {
      this.lastSent = json;
      this.current = s;
      this.emit({ kind: 'state', state: s });
    }
    return s;
  }

  private async buildState(): Promise<AppState> {
    const now = this.now();
    const today = dayOfMs(now);
    const open = this.recording.openStay();
    const openDay = open ? Math.floor(open.start / 1440) : null;
    const days = await listDays(this.ctx.store);
    if (openDay !== null && !days.includes(openDay)) days.push(openDay);
    const summaries: DaySummary[] = [];
    for (const d of days.sort((a, b) => b - a)) {
      const rec = await readDay(this.ctx.store, d);
      const stays = d === openDay ? [...rec.stays, open!] : rec.stays;
      summaries.push({
        day: d, stays: stays.length, coveredMinutes: stays.reduce((n, s) => n + s.minutes, 0),
        upload: this.uploads.status(rec, today), parts: rec.sent.filter((s) => s.kind === 'trace').length,
      });
    }
    const care = this.care.state();
    return {
      ready: true, fatal: null, onboarded: this.onboarded, settings: { ...this.settings }, keysCreated: this.keysCreated,
      recording: { on: this.recording.on, lastFixAt: this.recording.lastFixAt, openStay: open },
      exposure: this.exposure.state(this.settings.lang),
      days: summaries,
      network: networkState(this.ctx.net.node, this.tracker, { relayOptIn: this.relayOptIn, signaling: this.o.signaling?.() }),
      care: { ...care, dependents: care.dependents.map((d) => ({ ...d, consent: d.mode === 'custody' ? this.consent.state(d.id) : null })), pairing: this.relay.progress, endFrom: await this.care.endDay() },
      clinic: this.clinic.state(),
      consent: this.consent.state(),
      checkin: this.venue.state(),
    };
  }

  /** Housekeeping: local retention, automatic uploads by the policy, retries, a fresh network state. Runs on the timer. */
  async tick(): Promise<void> {
    if (this.closed) return;
    try {
      await this.venue.expire();
      await this.pruneOldDays();
      await this.uploads.tick(this.settings.uploadPolicy);
      this.relay.syncRooms(); // today's care rooms (their names change at midnight)
    } catch {
      // retried on the next tick
    }
    this.changed();
  }

  /**
   * Local retention: day records older than the policy's retention window are deleted — stays,
   * counters and queue (a block of such a day would be refused by every node anyway). Alerts stay.
   */
  private pruneOldDays(): Promise<void> {
    return this.ctx.locked(async () => {
      const oldest = dayOfMs(this.now()) - this.ctx.net.ledger.authority.policy.retentionDays;
      const days = await listDays(this.ctx.store);
      const old = days.filter((d) => d < oldest);
      if (!old.length) return;
      await writeJson(this.ctx.store, K.days, days.filter((d) => d >= oldest));
      for (const d of old) await this.ctx.store.deleteValue(K.day(d));
    });
  }

  /** One message from the page; the reply (and any new state) goes to the listeners. Never throws. */
  async handle(m: ToEngine): Promise<void> {
    if (!m || m.kind !== 'intent' || typeof m.id !== 'number') return; // not ours: nothing to reply to
    try {
      if (!m.intent || typeof m.intent !== 'object') throw new TypeError('intent must be an object with a type');
      if (this.closed) throw new EngineError('closed', 'the engine is closed (erased or stopped)');
      await this.venue.expire().catch(() => undefined); // a check-in past its default duration ends at that time, before anything else
      const value = await this.run(m.intent);
      this.emit({ kind: 'reply', id: m.id, ok: true, value });
    } catch (e) {
      this.emit({ kind: 'reply', id: m.id, ok: false, error: { code: codeOf(e), message: (e as Error)?.message ?? String(e) } });
    }
    this.changed();
  }

  /** Run one intent and return its reply's value (throws with a code on failure). @example await engine.run({ type: 'upload-now' }) */
  async run(intent: Intent): Promise<unknown> {
    switch (intent.type) {
      case 'finish-first-run': {
        const s = checkSettings({ precision: intent.precision, uploadPolicy: intent.uploadPolicy, lang: intent.lang });
        await this.saveSettings(s);
        this.onboarded = true;
        await writeJson(this.ctx.store, K.onboarded, true);
        return undefined;
      }
      case 'set-settings':
        await this.saveSettings(checkSettings(intent.settings));
        return undefined;
      case 'set-recording':
        if (typeof intent.on !== 'boolean') throw new TypeError('set-recording: on must be true or false');
        await this.recording.setOn(intent.on);
        return undefined;
      case 'fix':
        return this.recording.fix(checkFix(intent.fix));
      case 'conditions': {
        const ok = (v: unknown) => v === null || typeof v === 'boolean';
        if (!ok(intent.charging) || !ok(intent.wifi) || typeof intent.online !== 'boolean') throw new TypeError('conditions: charging and wifi are true, false or null; online is true or false');
        this.uploads.conditions = { charging: intent.charging, wifi: intent.wifi, online: intent.online };
        void this.tick();
        return undefined;
      }
      case 'upload-now':
        return this.uploads.uploadNow();
      case 'trail': {
        const day = checkDay(intent.day);
        const rec = await readDay(this.ctx.store, day);
        const open = this.recording.openStay();
        return open && Math.floor(open.start / 1440) === day ? [...rec.stays, open] : rec.stays;
      }
      case 'delete-day': {
        const day = checkDay(intent.day);
        await this.ctx.locked(async () => {
          const rec = await readDay(this.ctx.store, day);
          rec.stays = [];
          rec.uploaded = 0; // part counter, queue and sent blocks stay: they are not local stays
          await writeDay(this.ctx.store, rec);
          await this.recording.forgetOpenOn(day);
        });
        return undefined;
      }
      case 'withdraw':
        if (!Array.isArray(intent.days)) throw new TypeError('withdraw: days must be a list of UTC day numbers');
        return this.uploads.withdraw(intent.days.map(checkDay));
      case 'erase':
        await this.erase();
        return undefined;
      case 'export-backup':
        return this.exportBackup(intent.passphrase);
      case 'import-backup':
        await this.importBackup(intent.bytes, intent.passphrase);
        return undefined;
      case 'set-relay':
        if (typeof intent.on !== 'boolean') throw new TypeError('set-relay: on must be true or false');
        await this.ctx.store.setValue(ENGINE_RELAY_KEY, new Uint8Array([intent.on ? 1 : 0]));
        this.relayOptIn = intent.on; // takes effect when the node is next opened
        return undefined;
      case 'transparency':
        return this.transparency.summary();
      case 'prove-days': {
        const hex = (v: unknown, n: number, what: string) => {
          if (typeof v !== 'string' || !new RegExp(`^[0-9a-f]{${2 * n}}$`).test(v)) throw new EngineError('bad_intent', `prove-days: ${what} must be ${n} bytes of lower-case hex`);
          return fromHex(v);
        };
        const clinic = hex(intent.diagnostician, 32, 'diagnostician');
        const challenge = hex(intent.challenge, 32, 'challenge');
        if (!Array.isArray(intent.days) || intent.days.length === 0 || intent.days.length > 31) throw new EngineError('bad_intent', 'prove-days: days must be a list of 1..31 UTC day numbers');
        return possessionProofs(this.ctx.keys, intent.days.map(checkDay), clinic, challenge)
          .map((e): ConsentProof => ({ day: e.day, dayPub: toHex(e.dayPub), proof: toHex(e.proof) }));
      }
      case 'pair-start':
        this.relay.startOffer(intent.mode);
        return undefined;
      case 'pair-scan':
        if (typeof intent.offerText !== 'string') throw new TypeError('pair-scan: offerText must be a string');
        if (intent.mode !== undefined && intent.mode !== 'watch' && intent.mode !== 'custody') throw new TypeError('pair-scan: mode must be "watch" or "custody"');
        this.relay.startScan(intent.offerText, intent.mode);
        return undefined;
      case 'pair-confirm':
        await this.relay.confirm(intent.label);
        return undefined;
      case 'pair-cancel':
        this.relay.cancel();
        return undefined;
      case 'end-guardian': {
        const { fromDay } = await this.care.endGuardian(intent.id);
        this.relay.syncRooms();
        // the ended guardian is told; those who keep access get the new generation, now if present
        for (const id of [intent.id, ...this.care.liveGuardians()]) this.relay.sendNow(id);
        return { fromDay };
      }
      case 'remove-dependent':
        await this.care.removeDependent(intent.id);
        await this.consent.forget(intent.id);
        return undefined;
      case 'clinic-unlock':
        return this.clinic.unlock(intent.keyFile, intent.passphrase);
      case 'clinic-leave':
        this.clinic.leave();
        return undefined;
      case 'clinic-code':
        return this.clinic.code();
      case 'clinic-check':
        return this.clinic.check(intent.text);
      case 'clinic-endorse':
        return this.clinic.endorse(intent.text, intent.onset, intent.lookback);
      case 'consent-clinic':
        return this.consent.checkClinic(intent.text, intent.for);
      case 'consent-make':
        return this.consent.make(intent.clinic, intent.days, intent.for);
      case 'consent-forget':
        await this.consent.forget(intent.for);
        return undefined;
      case 'checkin':
        return this.venue.checkIn(intent.text);
      case 'checkout':
        await this.venue.checkOut();
        return undefined;
      case 'self-report':
        return this.consent.selfReport(intent.onset);
      default:
        throw new EngineError('unknown_intent', `unknown intent ${JSON.stringify((intent as { type?: unknown }).type)}`);
    }
  }

  /** What this device tells its guardians (STATUS heartbeat): last sync of either chain and last upload, ms. */
  private async ownStatus(): Promise<{ lastSyncAt: number | null; lastUploadAt: number | null }> {
    let lastSyncAt: number | null = null;
    for (const s of this.ctx.net.node.syncProgress()) if (s.lastSyncAt !== null && (lastSyncAt === null || s.lastSyncAt > lastSyncAt)) lastSyncAt = s.lastSyncAt;
    let lastUploadAt: number | null = null;
    for (const d of (await listDays(this.ctx.store)).sort((a, b) => b - a).slice(0, 3)) {
      for (const s of (await readDay(this.ctx.store, d)).sent) if (s.kind === 'trace' && (lastUploadAt === null || s.time * 1000 > lastUploadAt)) lastUploadAt = s.time * 1000;
    }
    return { lastSyncAt, lastUploadAt };
  }

  private async saveSettings(s: Partial<Settings>): Promise<void> {
    const before = this.settings.precision;
    this.settings = { ...this.settings, ...s };
    await writeJson(this.ctx.store, K.settings, this.settings);
    if (this.settings.precision !== before) await this.recording.setPrecision(this.settings.precision);
  }

  private async exportBackup(passphrase: string): Promise<Uint8Array> {
    const doc = await this.ctx.locked(() => collectBackup(this.ctx, {
      settings: this.settings, onboarded: this.onboarded, keysCreated: this.keysCreated ?? this.now(), alerts: this.exposure.stored(),
    }));
    return sealBackup(doc, passphrase, (n) => this.ctx.c.randomBytes(n), this.o.backupKdf ?? DEFAULT_KDF);
  }

  /** Replace this device's keys, settings, days and alerts with a backup's; nothing is written unless it opens and checks. */
  private async importBackup(bytes: Uint8Array, passphrase: string): Promise<void> {
    const doc = await openBackup(bytes, passphrase);
    await this.ctx.locked(async () => {
      await restoreBackup(this.ctx.store, doc);
      this.ctx.keys = new UserKeys(this.ctx.c, fromHex(doc.seed), doc.watchSchedule ?? [{ fromDay: 0, generation: 0 }]);
      this.keysCreated = doc.keysCreated;
      this.onboarded = doc.onboarded;
      this.settings = { ...DEFAULT_SETTINGS, ...doc.settings };
      // The recorder's state (on, last fix, the open stay) is the backup's now too.
      await this.recording.load(this.settings.precision);
    });
    await this.exposure.load();
    await this.care.load();
  }

  /** Erase everything on this device: stop the node, close the store, delete the database (keys included). */
  private async erase(): Promise<void> {
    await this.shutdown();
    if (this.o.eraseDatabase) await this.o.eraseDatabase();
    else {
      const name = (this.o.store as { name?: unknown }).name;
      const factory = this.o.idbFactory ?? globalThis.indexedDB;
      if (typeof name !== 'string' || !factory) throw new EngineError('erase_failed', 'no way to delete this store: pass eraseDatabase');
      await deleteDatabase(factory, name).catch((e: Error) => {
        throw new EngineError('erase_failed', e.message);
      });
    }
    this.current = initialState();
    this.emit({ kind: 'state', state: this.current });
    this.emit({ kind: 'event', event: { type: 'erased' } satisfies AppEvent });
  }

  private async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    if (this.venueTimer !== null) clearInterval(this.venueTimer);
    this.relay?.stop();
    this.unsubscribe?.();
    await this.ctx.locked(async () => undefined); // let running store work finish
    const net = this.ctx.net;
    if (net.stop) await net.stop();
    else {
      net.node.stop();
      await net.node.settle();
    }
    await this.ctx.store.close();
  }

  /** Stop the node and close the store (a reload, a test). @example await engine.close() */
  async close(): Promise<void> {
    await this.shutdown();
  }
}

function codeOf(e: unknown): string {
  if (e instanceof EngineError || e instanceof BackupError || e instanceof DeviceError || e instanceof CareError || e instanceof ClinicError || e instanceof BeepTraceError) return e.code;
  if (e instanceof TypeError) return 'bad_intent';
  if (e instanceof RangeError) return 'bad_input';
  return 'error';
}

function checkDay(d: unknown): Day {
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new TypeError(`${JSON.stringify(d)} is not a UTC day number`);
  return d;
}

function checkFix(f: Fix): Fix {
  if (typeof f !== 'object' || f === null) throw new TypeError('fix must be an object { t, lat, lon, acc }');
  return f; // the recorder checks every field (RangeError → 'bad_input')
}


