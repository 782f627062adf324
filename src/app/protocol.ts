/**
 * The one typed protocol between the app's views (the page) and its engine (the node, the core
 * and storage, which run in a Worker). Views render an `AppState` and send `Intent`s; they never
 * touch the ledger, the keys or IndexedDB. The engine is tested without a page through the same
 * messages (docs/APP.md §Architecture).
 *
 * Messages page → engine: `{ kind: 'intent', id, intent }`; engine → page:
 * `{ kind: 'state', state }` whenever anything a view shows changes, `{ kind: 'reply', id, ok, value | error }`
 * for each intent, and `{ kind: 'event', event }` for one-off events (a new exposure to notify).
 * Nothing in `AppState` is a coordinate of another user, a seed, or a private key; the user's own
 * stays reach the page only through `trail` replies, to draw them.
 *
 * @example
 * client.send({ type: 'set-recording', on: true });
 * client.subscribe((s) => render(s.exposure.status));
 * @module
 */
import type { Day, Fix, RiskLevel, Stay } from '../core/types.ts';

export type { TransparencySummary } from '../core/ledger/transparency.ts';

/** Location precision the user chose (DESIGN §4): published coordinates snap to this grid. */
export type PrecisionChoice = 'exact' | '10m' | '100m';
/** When trace batches go out: as soon as possible, or only while charging and on Wi-Fi. */
export type UploadPolicy = 'asap' | 'charging-wifi';
/** UI languages (every string goes through src/app/i18n). */
export type Lang = 'en' | 'de' | 'ar';

export interface Settings {
  precision: PrecisionChoice;
  uploadPolicy: UploadPolicy;
  lang: Lang;
  /**
   * Elder mode ("Easy mode" on screen, docs/APP.md §Elder mode): large text, high contrast, targets of
   * at least 44×44 CSS px, one status screen with one action, no message that goes away by itself.
   * Absent means off (settings stored before it existed).
   */
  elder?: boolean;
}

/** One exposure the device found on the notification chain. */
export interface Alert {
  /** UTC day of the exposure. */
  day: Day;
  level: Exclude<RiskLevel, 'none'>;
  /** When this device found it (ms). */
  foundAt: number;
  /** Last day (UTC, inclusive) the advice applies: exposure day + the policy's advice days. */
  adviceUntil: Day;
  /** The authority's advice for this level, in the user's language (from the policy). */
  advice: string;
}

/** The exposure status a person opens the app for. */
export interface ExposureState {
  /** Highest level of the alerts still within their advice period; 'none' otherwise. */
  status: RiskLevel;
  /** When the device last finished checking the notification chain (ms), null if never. */
  lastCheckedAt: number | null;
  /** The latest final (k-of-n) checkpoint of the notification chain the check covered: its end, seconds. */
  checkedUpTo: number | null;
  /** Every alert ever found (newest first), past ones included. */
  alerts: Alert[];
}

/** Upload state of one pseudonym-day. */
export type DayUpload = 'recording' | 'waiting' | 'sent' | 'received' | 'proven' | 'withdrawn';

/** What the device holds for one UTC day. */
export interface DaySummary {
  day: Day;
  stays: number;
  /** Minutes of the day covered by recorded stays (to say how much of the day was recorded). */
  coveredMinutes: number;
  upload: DayUpload;
  /** Trace batches of this day published so far (parts). */
  parts: number;
}

export interface RecordingState {
  on: boolean;
  /** When the engine last accepted a fix (ms). */
  lastFixAt: number | null;
  /** The stay being recorded, if any (the user's own, shown on their trail). */
  openStay: Stay | null;
}

export interface NetworkState {
  role: 'thin' | 'relay';
  signaling: 'connecting' | 'open' | 'closed';
  /** Links up now; `connectedMs` is how long each has been up (a duration, ms). */
  peers: { link: string; role: string | null; outbound: boolean; connectedMs: number }[];
  /** Blocks held per carried chain. */
  chains: { chain: 'tracing' | 'notification'; have: number; lastSyncAt: number | null }[];
  /** Sync progress of the notification chain, 0..1 (1 when the last reconciliation completed). */
  syncProgress: number;
  /** End (seconds) of the latest final checkpoint seen, per chain. */
  lastCheckpoint: { chain: 'tracing' | 'notification'; toSec: number } | null;
  /** Own uploads kept until a checkpoint proves them. */
  retained: { id: string; time: number; state: 'sending' | 'received' | 'unprovable' }[];
  /** The kept relay opt-in ('set-relay'); it takes effect the next time the node is opened, so it may differ from `role`. */
  relayOptIn?: boolean;
}

/** A dependent this device watches over (docs/APP.md §Family and care). */
export interface DependentState {
  id: string;
  /** The guardian's own name for them. */
  label: string;
  mode: 'watch' | 'custody';
  pairedAt: number;
  /** When this device last heard from the dependent's (the pairing counts). */
  lastHeardAt: number;
  status: RiskLevel;
  /** Newest day first. */
  alerts: { day: Day; level: Exclude<RiskLevel, 'none'> }[];
  /** The dependent ended this device's access from this day (its key is forgotten: nothing new is seen), or null. */
  endedFrom: Day | null;
  /** What the dependent's device last reported (care-room heartbeat), ms; null = not yet. */
  lastSyncAt: number | null;
  lastUploadAt: number | null;
  /** In custody: the consent this device showed a clinic for them, and whether its diagnosis was seen (else null). */
  consent?: ConsentState | null;
}

/** A guardian this device gave access to. */
export interface GuardianState {
  id: string;
  label: string;
  mode: 'watch' | 'custody';
  pairedAt: number;
  /** Access ended from this day (watch-key rotation, PROTOCOL §13.2), or null. */
  endedFrom: Day | null;
}

/**
 * Where a pairing is. `role`: this device `keeper` (it will keep the other's key: a watch key, or
 * in custody their whole key) or `holder` (it hands its own over); `mode`: watch or custody.
 * `connecting` to signaling; `show-code` (the device that shows the code: the QR text); `compare`
 * (both: the six digits to compare); `waiting` (this person confirmed, the other device has not
 * yet); `done`; `failed` (code and message: expired, second_sender — on both screens —,
 * not_confirmed, bad_grant, offline, wrong_mode…).
 */
export type PairingProgress = { role: 'keeper' | 'holder'; mode: 'watch' | 'custody' } & (
  | { stage: 'connecting' }
  | { stage: 'show-code'; offerText: string; expires: number }
  | { stage: 'compare' | 'waiting'; sas: string }
  | { stage: 'done'; label: string }
  | { stage: 'failed'; code: string; message: string });

export interface CareState {
  dependents: DependentState[];
  guardians: GuardianState[];
  /** The pairing under way on this device, if any. */
  pairing: PairingProgress | null;
  /** The first day an "End access" now would take effect: today, or tomorrow once today's records left (PROTOCOL §13.2). */
  endFrom: Day;
}

export interface AppState {
  /** False until the engine has opened the store. */
  ready: boolean;
  /** The engine could not start (for example no IndexedDB): say so. */
  fatal: string | null;
  /** True once the user finished the first-run explanation and choices. */
  onboarded: boolean;
  settings: Settings;
  /** When the device's keys were created (ms). */
  keysCreated: number | null;
  recording: RecordingState;
  exposure: ExposureState;
  /** Newest first. */
  days: DaySummary[];
  network: NetworkState;
  care: CareState;
  /** Diagnostician mode: the unlocked diagnostician's key (public part only), or null (issue 11). */
  clinic?: ClinicState | null;
  /** The patient's latest consent to a diagnostician, and whether its diagnosis was seen on the chain. */
  consent?: ConsentState | null;
  /** The open venue check-in, or null (docs/APP.md §Venue check-in). */
  checkin?: CheckinState | null;
}

/** An open venue check-in: the venue's id (derived from its certified key), its name, since when, and when the app checks out by itself (ms). @example { venueId: '0011223344556677', name: 'Café Nord', since, until: since + 3_600_000 } */
export interface CheckinState {
  venueId: string;
  name: string;
  since: number;
  until: number;
}

/** Diagnostician mode, as the page sees it (the secret key stays in the engine). */
export interface ClinicState {
  name: string;
  /** Ed25519 public key, hex. */
  publicKey: string;
  region: number;
  /** Diagnoses this device published in this session. */
  endorsed: number;
}

/** The patient's consent shown to a diagnostician (docs/APP.md §Diagnosis). */
export interface ConsentState {
  /** The diagnostician's public key (hex) and certified name. */
  diagnostician: string;
  name: string;
  days: Day[];
  /** When the consent code was made (ms). */
  shownAt: number;
  /** `recorded`: a diagnosis block of that diagnostician answering this consent was seen on the chain. */
  status: 'waiting' | 'recorded';
  recordedAt: number | null;
}

/** A clinic code the patient's app checked: who it is, until when it is good, which days could be shared. */
export interface ClinicCheck {
  diagnostician: string;
  name: string;
  /** When the challenge expires (ms). */
  expiresAt: number;
  /** Days this device holds records for, within the policy's lookback, newest first. */
  days: Day[];
}

/** A consent code the clinic's app checked: the days proven, and the challenge's expiry. */
export interface ConsentCheck {
  days: Day[];
  expiresAt: number;
  /** The policy's default lookback (days). */
  lookback: number;
}

/** What a view may ask of the engine. Each gets one reply. */
export type Intent =
  | { type: 'finish-first-run'; precision: PrecisionChoice; uploadPolicy: UploadPolicy; lang: Lang }
  | { type: 'set-settings'; settings: Partial<Settings> }
  | { type: 'set-recording'; on: boolean }
  /** A Geolocation fix, from the page (workers have no Geolocation API). */
  | { type: 'fix'; fix: Fix }
  /** Battery and network conditions the page sees (for the charging-and-Wi-Fi policy); null = the browser does not say. */
  | { type: 'conditions'; charging: boolean | null; wifi: boolean | null; online: boolean }
  | { type: 'upload-now' }
  /** The user's own stays of a day, to draw the trail (reply: Stay[]). */
  | { type: 'trail'; day: Day }
  | { type: 'delete-day'; day: Day }
  /** Publish withdrawal records for these days (reply: days withdrawn). */
  | { type: 'withdraw'; days: Day[] }
  /** Erase everything on this device: keys, stays, ledger, settings. */
  | { type: 'erase' }
  /** Reply: the encrypted backup bytes. */
  | { type: 'export-backup'; passphrase: string }
  | { type: 'import-backup'; bytes: Uint8Array; passphrase: string }
  | { type: 'set-relay'; on: boolean }
  /**
   * The transparency dashboard's counts, from the blocks this device's ledger verified (reply:
   * `TransparencySummary`, src/core/ledger/transparency.ts). A request, not a part of `AppState`,
   * so the state pushed on every block stays small; the view asks again when the chains grow.
   */
  | { type: 'transparency' }
  /**
   * The patient's consent to a diagnostician (DESIGN §4 Diagnosis): possession proofs of the chosen
   * days' keys, bound to that diagnostician's key and its fresh challenge (hex). Reply: `ConsentProof[]`.
   * Only public day keys and signatures leave the engine; the consent QR code carries them (issue 11).
   */
  | { type: 'prove-days'; diagnostician: string; challenge: string; days: Day[] }
  /**
   * Guardian pairing (PROTOCOL §13.1), relayed by the engine through signaling; its progress is
   * `state.care.pairing`. `pair-start` shows a code: `watch` — this device will look after whoever
   * scans it; `custody` — whoever scans it will keep this device's keys (a watch pairs by showing).
   * `pair-scan` with the scanned code's text and the kind of pairing the person chose (`mode`:
   * "Let someone look after me" is watch, "Keep someone's keys" custody; a code of the other kind
   * is refused, `wrong_mode`), replying with an error for a bad, foreign or expired code before
   * anything is sent. Both: `pair-confirm` when the person sees the same six digits on both
   * screens, with their name for the other person; `pair-cancel` when they differ or the person leaves.
   */
  | { type: 'pair-start'; mode: 'watch' | 'custody' }
  | { type: 'pair-scan'; offerText: string; mode?: 'watch' | 'custody' }
  | { type: 'pair-confirm'; label: string }
  | { type: 'pair-cancel' }
  /**
   * End a guardian's access for future days (reply: `{ fromDay }`); the guardian is told in its care
   * room, those who keep access get the new key. A guardian in custody: refused (`custody_end`).
   */
  | { type: 'end-guardian'; id: string }
  | { type: 'remove-dependent'; id: string }
  /** Diagnostician mode: open a role key file (text) with its passphrase; refused unless certified on the chain. Reply: ClinicState. */
  | { type: 'clinic-unlock'; keyFile: string; passphrase: string }
  /** Leave diagnostician mode: the engine forgets the key. */
  | { type: 'clinic-leave' }
  /** A fresh clinic code (QR text) with a new challenge. Reply: { text, expiresAt }. */
  | { type: 'clinic-code' }
  /** Check a scanned consent code. Reply: ConsentCheck. */
  | { type: 'clinic-check'; text: string }
  /** Endorse a checked consent code: publish the diagnosis. Reply: { days, id }. */
  | { type: 'clinic-endorse'; text: string; onset: Day; lookback: number }
  /**
   * The patient: check a scanned clinic code before sharing anything. Reply: ClinicCheck.
   * `for`: a dependent's id whose keys this device keeps in custody (issue 12): their days, not this device's.
   */
  | { type: 'consent-clinic'; text: string; for?: string }
  /** The patient: make the consent code for these days (`for`: as above). Reply: { text }. */
  | { type: 'consent-make'; clinic: string; days: Day[]; for?: string }
  /** The patient: forget the consent shown (`for`: as above). */
  | { type: 'consent-forget'; for?: string }
  /**
   * Check in at a venue with a scanned poster (QR text, `BTV1:`): refused (VenueError code
   * `bad_signature`, `foreign_region`, `not_certified`, or a CodecError code) unless signed by a
   * venue certified for this region on this device's chain. Reply: CheckinState.
   */
  | { type: 'checkin'; text: string }
  /** Check out of the open venue check-in now. */
  | { type: 'checkout' }
  /** An anonymous, unverified self-report of symptoms since `onset`. Reply: days reported. */
  | { type: 'self-report'; onset: Day };

/** One day of a patient's consent: the day's public key and its possession proof (hex). */
export interface ConsentProof {
  day: Day;
  dayPub: string;
  proof: string;
}

export type IntentType = Intent['type'];

/** One-off events the page acts on (a system notification for a new exposure: its text never says the risk). */
export type AppEvent =
  | { type: 'new-exposure'; alert: Alert }
  | { type: 'erased' }
  /** A dependent became at risk: the page's system notification names them by the guardian's label. */
  | { type: 'dependent-at-risk'; id: string; label: string; level: Exclude<RiskLevel, 'none'>; day: Day };

export type ToEngine = { kind: 'intent'; id: number; intent: Intent };
/**
 * The page's time (Date.now on the page), posted to the worker on the app port every second and
 * before every intent. The engine's one clock follows it, so a test that moves the page's clock
 * (Playwright's `page.clock`) moves the engine's too (a worker has a clock of its own).
 */
export type ClockMessage = { kind: 'clock'; now: number };
export type FromEngine =
  | { kind: 'state'; state: AppState }
  | { kind: 'reply'; id: number; ok: true; value?: unknown }
  | { kind: 'reply'; id: number; ok: false; error: { code: string; message: string } }
  | { kind: 'event'; event: AppEvent };

/** The state before the engine has said anything. @example new AppClient(port).state === initialState() */
export function initialState(): AppState {
  return {
    ready: false,
    fatal: null,
    onboarded: false,
    settings: { precision: '10m', uploadPolicy: 'asap', lang: 'en' },
    keysCreated: null,
    recording: { on: false, lastFixAt: null, openStay: null },
    exposure: { status: 'none', lastCheckedAt: null, checkedUpTo: null, alerts: [] },
    days: [],
    network: { role: 'thin', signaling: 'connecting', peers: [], chains: [], syncProgress: 0, lastCheckpoint: null, retained: [] },
    care: { dependents: [], guardians: [], pairing: null, endFrom: 0 },
  };
}

/**
 * What a view holds: the engine's state, a way to send intents, and the one-off events.
 * Implemented by src/app/page/client.ts over the worker's port (or over another tab's, for a
 * mirroring tab).
 * @example const stop = client.subscribe((s) => view.state = s); await client.send({ type: 'upload-now' });
 */
export interface EngineClient {
  readonly state: AppState;
  /** Called with every new state (and once at once with the current one); returns an unsubscribe. */
  subscribe(fn: (s: AppState) => void): () => void;
  /** Send an intent; resolves with the reply's value, rejects with an Error whose `code` is the reply's. */
  send<T = unknown>(intent: Intent): Promise<T>;
  onEvent(fn: (e: AppEvent) => void): () => void;
}

/**
 * The app's configuration, served as /config.json on the app's own origin (docs/DEPLOY.md):
 * which region, which signaling server, and the CA root public key every statement is checked against.
 * @example { "region": 1, "signalUrl": "ws://127.0.0.1:8787", "rootKey": "ab…(64 hex)" }
 */
export interface AppConfig {
  region: number;
  signalUrl: string;
  /** CA root Ed25519 public key, 64 lower-case hex characters. */
  rootKey: string;
  /** ICE servers for WebRTC; empty on a local network. */
  iceServers?: unknown[];
}

/**
 * The first message the page posts to the worker (src/app/worker.ts): the configuration, the port
 * of the app protocol (ToEngine / FromEngine) and the control port of the network bridge
 * (src/net/port-link.ts), both transferred.
 */
export interface WorkerInit {
  kind: 'init';
  config: AppConfig;
  app: MessagePort;
  net: MessagePort;
}
