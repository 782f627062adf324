/**
 * Test page for the views: mounts <beeptrace-app> with a scripted EngineClient and PageServices
 * that record every intent and service call (window.bt.calls), so the view test drives the real
 * components in Chromium without the engine. `?onboarded=0` starts at the first run;
 * `?exposure=high|low|none`; `?elder=1` starts in elder mode; `?refuse=set-settings` makes the engine
 * refuse that intent type (as a real engine refuses one it cannot store).
 */
import '../../../src/app/ui/index.ts';
import { initialState, type AppEvent, type AppState, type EngineClient, type Intent, type TransparencySummary } from '../../../src/app/protocol.ts';
import type { GeoState, PageServices } from '../../../src/app/page/services.ts';
import type { Stay } from '../../../src/core/types.ts';

const q = new URLSearchParams(location.search);
// ?text=200 enlarges the text as a browser's text-size setting does (every view sizes in rem).
if (q.get('text')) document.documentElement.style.fontSize = `${Number(q.get('text'))}%`;
const now = Date.now();
const today = Math.floor(now / 86_400_000);
const calls: { kind: string; value?: unknown }[] = [];

function richState(): AppState {
  const s = initialState();
  const level = (q.get('exposure') ?? 'high') as 'none' | 'low' | 'high';
  s.ready = true;
  s.onboarded = q.get('onboarded') !== '0';
  s.settings = { ...s.settings, lang: (q.get('lang') ?? 'en') as AppState['settings']['lang'], ...(q.get('elder') === '1' ? { elder: true } : {}) };
  s.keysCreated = now - 3 * 86_400_000;
  s.recording = { on: false, lastFixAt: now - 3_600_000, openStay: null };
  s.days = [
    { day: today, stays: 3, coveredMinutes: 200, upload: 'recording', parts: 0 },
    { day: today - 1, stays: 5, coveredMinutes: 610, upload: 'proven', parts: 2 },
    { day: today - 2, stays: 4, coveredMinutes: 380, upload: 'received', parts: 1 },
    { day: today - 3, stays: 2, coveredMinutes: 90, upload: 'withdrawn', parts: 1 },
  ];
  s.exposure = {
    status: level,
    lastCheckedAt: now - 600_000,
    checkedUpTo: Math.floor((now - 3_600_000) / 1000),
    alerts: level === 'none' ? [] : [
      { day: today - 2, level, foundAt: now - 7_200_000, adviceUntil: today + 8, advice: 'Stay at home, avoid contact with others and get a test. Call 116 117 if you feel ill.' },
      { day: today - 9, level: 'low', foundAt: now - 8 * 86_400_000, adviceUntil: today - 2, advice: 'Watch for symptoms.' },
    ],
  };
  s.network = {
    role: 'thin', signaling: 'open',
    peers: [{ link: 'peer-7f3a', role: 'validator', outbound: true, connectedMs: 300_000 }, { link: 'peer-19c2', role: null, outbound: false, connectedMs: 60_000 }],
    chains: [{ chain: 'tracing', have: 1520, lastSyncAt: now - 30_000 }, { chain: 'notification', have: 312, lastSyncAt: now - 20_000 }],
    syncProgress: 0.62,
    lastCheckpoint: { chain: 'notification', toSec: Math.floor((now - 3_600_000) / 1000) },
    retained: [{ id: 'a1', time: now - 900_000, state: 'received' }],
  };
  return s;
}

const base = { latE7: 525_200_000, lonE7: 134_050_000 };
const stays: Stay[] = [
  { start: today * 1440 + 420, minutes: 30, latE7: base.latE7, lonE7: base.lonE7, radius: 12, source: 1, precision: 0 },
  { start: today * 1440 + 540, minutes: 25, latE7: base.latE7 + 9000, lonE7: base.lonE7 + 14000, radius: 25, source: 1, precision: 0 },
  { start: today * 1440 + 620, minutes: 20, latE7: base.latE7 - 4000, lonE7: base.lonE7 + 30000, radius: 8, source: 1, precision: 0 },
];

/** A relay's dashboard: two clinics (one revoked), a solver, three validators, a week of counts. */
function transparency(): TransparencySummary {
  const key = (n: number) => n.toString(16).padStart(2, '0').repeat(32);
  const sec = Math.floor(now / 1000);
  const cert = (n: number, role: 'diagnostician' | 'solver' | 'validator', name: string, revokedAt: number | null = null) =>
    ({ subject: key(n), serial: key(n + 100).slice(0, 32), role, region: 1, name, notBefore: sec - 30 * 86_400, notAfter: sec + 335 * 86_400, revokedAt });
  return {
    chains: [1, 2],
    cases: [0, 1, 2, 3, 4, 5, 6].flatMap((i) => [{ signer: key(1), day: today - i, cases: 3 + (i % 3), caseDays: 30 + i }, ...(i < 3 ? [{ signer: key(2), day: today - i, cases: 1, caseDays: 14 }] : [])]).reverse(),
    tagSets: [0, 1, 2, 3, 4, 5].map((i) => ({ signer: key(3), day: today - i, sets: 4 + i, tags: 210 + 17 * i })).reverse(),
    selfReports: [0, 2, 3].map((i) => ({ day: today - i, count: 2 + i })).reverse(),
    withdrawals: [{ day: today - 1, count: 1 }],
    signatures: [4, 5, 6].flatMap((v) => [0, 1, 2].map((i) => ({ signer: key(v), day: today - i, count: 144 }))).sort((a, b) => a.day - b.day),
    checkpoints: [0, 1, 2].map((i) => ({ chain: (i % 2 ? 2 : 1) as 1 | 2, fromTime: sec - (i + 2) * 600, toTime: sec - (i + 1) * 600, size: 40 + i, signers: [key(4), key(5)], final: true })),
    checkpointCount: 864,
    certificates: [cert(1, 'diagnostician', 'City Clinic'), cert(2, 'diagnostician', 'Harbour Practice', sec - 3_600), cert(3, 'solver', 'Regional Solver'), cert(4, 'validator', 'Validator 1'), cert(5, 'validator', 'Validator 2'), cert(6, 'validator', 'Validator 3')],
    revocations: [{ subject: key(2), revokedAt: sec - 3_600, reason: 1 }],
  };
}

let state = richState();
const subs = new Set<(s: AppState) => void>();
const emit = () => { for (const f of subs) f(state); };
const eventSubs = new Set<(e: AppEvent) => void>();
const event = (e: AppEvent) => { for (const f of eventSubs) f(e); };
const setState = (patch: Partial<AppState>) => { state = { ...state, ...patch }; emit(); };

const client: EngineClient = {
  get state() { return state; },
  subscribe(fn) { subs.add(fn); fn(state); return () => subs.delete(fn); },
  onEvent(fn: (e: AppEvent) => void) { eventSubs.add(fn); return () => eventSubs.delete(fn); },
  async send<T>(intent: Intent): Promise<T> {
    calls.push({ kind: 'intent', value: intent });
    if (q.get('refuse') === intent.type) throw Object.assign(new Error('the store is full'), { code: 'storage' });
    switch (intent.type) {
      case 'finish-first-run':
        setState({ onboarded: true, settings: { ...state.settings, precision: intent.precision, uploadPolicy: intent.uploadPolicy, lang: intent.lang } });
        return undefined as T;
      case 'set-settings': setState({ settings: { ...state.settings, ...intent.settings } }); return undefined as T;
      // As the engine: the choice is kept, the node's role changes when it is next opened.
      case 'set-relay': setState({ network: { ...state.network, relayOptIn: intent.on } }); return undefined as T;
      case 'set-recording': setState({ recording: { ...state.recording, on: intent.on } }); return undefined as T;
      case 'trail': return (intent.day === today ? stays : []) as T;
      case 'withdraw': return intent.days as T;
      case 'export-backup': return new Uint8Array([1, 2, 3, 4]) as T;
      case 'import-backup': throw Object.assign(new Error('wrong passphrase'), { code: 'bad-passphrase' });
      case 'transparency': return transparency() as T;
      // As the engine: the access ends from the day the state said it would.
      case 'end-guardian': return { fromDay: state.care.endFrom } as T;
      default: return undefined as T;
    }
  },
};

const svcSubs = new Set<() => void>();
const changed = () => { for (const f of svcSubs) f(); };
let geo: GeoState = 'idle';
let permission: NotificationPermission = 'default';
let wake = false;
const services: PageServices & { set(p: Record<string, unknown>): void } = {
  geo: {
    get state() { return geo; },
    async start() { calls.push({ kind: 'geo.start' }); geo = (q.get('geo') as GeoState | null) ?? 'watching'; changed(); return geo; },
    stop() { calls.push({ kind: 'geo.stop' }); geo = 'idle'; changed(); },
  },
  notify: {
    get permission() { return permission; },
    async request() { calls.push({ kind: 'notify.request' }); permission = 'granted'; changed(); return permission; },
  },
  wakeLock: {
    supported: true,
    get active() { return wake; },
    async set(on: boolean) { calls.push({ kind: 'wake', value: on }); wake = on; changed(); return on; },
  },
  conditions: { charging: null, wifi: null, online: q.get('online') !== '0' },
  update: { waiting: q.get('update') === '1', reload() { calls.push({ kind: 'update.reload' }); } },
  tabs: { leader: q.get('leader') !== '0', mirroring: q.get('leader') === '0' },
  subscribe(fn) { svcSubs.add(fn); return () => svcSubs.delete(fn); },
  set(p) { Object.assign(this, p); changed(); },
};

const app = document.querySelector('beeptrace-app')!;
app.services = services;
app.client = client;
(window as unknown as { bt: unknown }).bt = { calls, setState, event, services, stays, today };
