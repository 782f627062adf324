/**
 * A scripted stand-in for the engine Worker, used by test/e2e/shell.test.ts (the real engine is
 * another helper's and not merged yet). The shell test's build loads this module in place of
 * src/app/worker.ts. It speaks the real protocol (WorkerInit, ToEngine / FromEngine):
 * - state: ready, with `keysCreated` set to a random id of this engine instance (so a test can
 *   tell which tab's engine a mirror shows);
 * - 'fix' → kept (reply ok), `recording.lastFixAt` updated; 'trail' → every fix received;
 * - 'set-recording' → `recording.on`; 'upload-now' → a 'new-exposure' event, reply { engine };
 * - 'conditions' → kept; 'export-backup' → every 'conditions' intent received (a probe for tests);
 * - anything else → reply { engine, type }.
 */
import type { AppState, FromEngine, ToEngine, WorkerInit } from '../../../src/app/protocol.ts';
import type { Fix } from '../../../src/core/types.ts';

const engine = 1 + Math.floor(Math.random() * 1e9);
const fixes: Fix[] = [];
const conditions: unknown[] = [];

addEventListener('message', (e: MessageEvent) => {
  const init = e.data as WorkerInit;
  if (init?.kind !== 'init') return;
  const port = init.app;
  const post = (m: FromEngine) => port.postMessage(m);
  const state: AppState = {
    ready: true, fatal: null, onboarded: true,
    settings: { precision: '10m', uploadPolicy: 'asap', lang: 'en' },
    keysCreated: engine,
    recording: { on: false, lastFixAt: null, openStay: null },
    exposure: { status: 'none', lastCheckedAt: null, checkedUpTo: null, alerts: [] },
    days: [],
    network: { role: 'thin', signaling: 'connecting', peers: [], chains: [], syncProgress: 0, lastCheckpoint: null, retained: [] },
  };
  port.onmessage = (m: MessageEvent) => {
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
