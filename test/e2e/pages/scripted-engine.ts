/**
 * A scripted stand-in for the engine Worker, used by test/e2e/shell.test.ts (the real engine is
 * another helper's and not merged yet). The shell test's build loads this module in place of
 * src/app/worker.ts. It speaks the real protocol (WorkerInit, ToEngine / FromEngine):
 * - state: ready, with `keysCreated` set to a random id of this engine instance (so a test can
 *   tell which tab's engine a mirror shows);
 * - 'fix' → kept (reply ok), `recording.lastFixAt` updated; 'trail' → every fix received;
 * - 'set-recording' → `recording.on`, kept in IndexedDB (as the real engine keeps it across reloads); 'upload-now' → a 'new-exposure' event, reply { engine };
 * - 'conditions' → kept; 'export-backup' → every 'conditions' intent received (a probe for tests);
 * - anything else → reply { engine, type }.
 */
import type { AppState, FromEngine, ToEngine, WorkerInit } from '../../../src/app/protocol.ts';
import type { Fix } from '../../../src/core/types.ts';

const engine = 1 + Math.floor(Math.random() * 1e9);
const fixes: Fix[] = [];
const conditions: unknown[] = [];

/** `recording.on` in IndexedDB (key 'recording' of store 'kv' in database 'scripted-engine'). */
function kv(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('scripted-engine', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('kv');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const req = f(open.result.transaction('kv', mode).objectStore('kv'));
      req.onsuccess = () => { resolve(req.result); open.result.close(); };
      req.onerror = () => reject(req.error);
    };
  });
}

addEventListener('message', async (e: MessageEvent) => {
  const init = e.data as WorkerInit;
  if (init?.kind !== 'init') return;
  const recordingOn = (await kv('readonly', (s) => s.get('recording'))) === true;
  const port = init.app;
  const post = (m: FromEngine) => port.postMessage(m);
  const state: AppState = {
    ready: true, fatal: null, onboarded: true,
    settings: { precision: '10m', uploadPolicy: 'asap', lang: 'en' },
    keysCreated: engine,
    recording: { on: recordingOn, lastFixAt: null, openStay: null },
    exposure: { status: 'none', lastCheckedAt: null, checkedUpTo: null, alerts: [] },
    days: [],
    network: { role: 'thin', signaling: 'connecting', peers: [], chains: [], syncProgress: 0, lastCheckpoint: null, retained: [] },
    care: { dependents: [], guardians: [], pairing: null, endFrom: Math.floor(Date.now() / 86_400_000) },
  };
  port.onmessage = async (m: MessageEvent) => {
    const msg = m.data as ToEngine;
    if (msg?.kind !== 'intent') return;
    const { id, intent } = msg;
    const ok = (value?: unknown) => post({ kind: 'reply', id, ok: true, value });
    switch (intent.type) {
      case 'fix':
        fixes.push(intent.fix);
        state.recording.lastFixAt = intent.fix.t;
        post({ kind: 'state', state });
        return ok();
      case 'trail':
        return ok(fixes);
      case 'conditions':
        conditions.push({ charging: intent.charging, wifi: intent.wifi, online: intent.online });
        return ok();
      case 'export-backup':
        return ok(conditions);
      case 'set-recording':
        state.recording.on = intent.on;
        await kv('readwrite', (s) => s.put(intent.on, 'recording'));
        post({ kind: 'state', state });
        return ok();
      case 'upload-now':
        post({ kind: 'event', event: { type: 'new-exposure', alert: { day: 20_000, level: 'high', foundAt: Date.now(), adviceUntil: 20_014, advice: 'Stay home.' } } });
        return ok({ engine });
      default:
        return ok({ engine, type: intent.type });
    }
  };
  post({ kind: 'state', state });
});
