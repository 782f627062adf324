/**
 * The engine Worker's entry: the node, the core and storage run here, off the page's main thread
 * (docs/APP.md). On the page's `WorkerInit` it opens the device's IndexedDB store, the AppEngine
 * (src/app/engine/) and, through the engine, the node whose links the page serves over the `net`
 * control port (src/app/thin-node.ts openWorkerNode, src/app/page/net-bridge.ts); then it speaks
 * the app protocol (src/app/protocol.ts) on the `app` port.
 *
 * Time: the engine's one clock is the page's (`{ kind: 'clock' }` messages), advanced by the
 * worker's own elapsed time between two of them.
 *
 * @example
 * new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }).postMessage(init, [init.app, init.net]);
 * @module
 */
import { SignalingClient } from '../net/webrtc/signaling-client.ts';
import { nobleCrypto } from '../core/crypto.ts';
import { openIdbStore } from '../store/idb-store.ts';
import { AppEngine } from './engine/engine.ts';
import { openWorkerNode } from './thin-node.ts';
import { APP_DB } from './app-db.ts';
import { initialState, type ClockMessage, type FromEngine, type ToEngine, type WorkerInit } from './protocol.ts';

/** The IndexedDB database of the app (keys, stays, ledger, settings): src/app/app-db.ts. */
export { APP_DB };

/** A clock that follows the page's: the last time it said, plus the time elapsed here since. */
export function pageClock(): { now(): number; set(pageNow: number): void } {
  let base = Date.now();
  let at = performance.now();
  return {
    now: () => base + Math.round(performance.now() - at),
    set(pageNow: number) {
      if (!Number.isFinite(pageNow)) return;
      base = pageNow;
      at = performance.now();
    },
  };
}

addEventListener('message', (e: MessageEvent) => {
  const init = e.data as WorkerInit;
  if (init?.kind !== 'init') return;
  void run(init);
});

async function run(init: WorkerInit): Promise<void> {
  const port = init.app;
  const clock = pageClock();
  const early: ToEngine[] = [];
  let engine: AppEngine | null = null;
  port.onmessage = (m: MessageEvent) => {
    const msg = m.data as ToEngine | ClockMessage;
    if (msg?.kind === 'clock') clock.set(msg.now);
    else if (engine) void engine.handle(msg);
    else early.push(msg);
  };
  try {
    const store = await openIdbStore(APP_DB);
    engine = await AppEngine.open({
      store, crypto: nobleCrypto, now: clock.now, config: init.config,
      net: ({ keys }) => openWorkerNode(init, { store, keys }),
      // Guardian pairing and care rooms: short signaling connections of the worker's own (PROTOCOL §13).
      signal: (rooms) => new SignalingClient({ url: init.config.signalUrl, rooms: [...rooms] }),
    });
    engine.onMessage((m: FromEngine) => port.postMessage(m));
    for (const m of early.splice(0)) void engine.handle(m);
  } catch (err) {
    const message = `BeepTrace could not open its storage on this device: ${(err as Error).message}`;
    port.postMessage({ kind: 'state', state: { ...initialState(), fatal: message } } satisfies FromEngine);
    port.onmessage = (m: MessageEvent) => {
      const msg = m.data as ToEngine;
      if (msg?.kind === 'intent') port.postMessage({ kind: 'reply', id: msg.id, ok: false, error: { code: 'fatal', message } } satisfies FromEngine);
    };
  }
}
