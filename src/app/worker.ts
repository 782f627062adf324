/**
 * SKELETON of the engine Worker entry, written only so the app builds before the engine is
 * merged: the coordinator replaces it with the real entry (the AppEngine from src/app/engine/
 * and the NetNode over the network bridge's port, src/net/port-link.ts).
 *
 * It claims nothing it cannot do: on `WorkerInit` it posts a state whose `fatal` says the engine
 * is missing, and answers every intent with the error code 'no-engine'.
 *
 * @example
 * new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }).postMessage(init, [init.app, init.net]);
 * @module
 */
import { initialState, type FromEngine, type ToEngine, type WorkerInit } from './protocol.ts';

const MISSING = 'This build of BeepTrace has no engine yet.';

addEventListener('message', (e: MessageEvent) => {
  const init = e.data as WorkerInit;
  if (init?.kind !== 'init') return;
  const port = init.app;
  const post = (m: FromEngine) => port.postMessage(m);
  port.onmessage = (m: MessageEvent) => {
    const msg = m.data as ToEngine;
    if (msg?.kind === 'intent') post({ kind: 'reply', id: msg.id, ok: false, error: { code: 'no-engine', message: MISSING } });
  };
  post({ kind: 'state', state: { ...initialState(), fatal: MISSING } });
});
