/**
 * Starts the engine Worker (src/app/worker.ts) in the tab that leads, and returns the wire the
 * views' client speaks over. Posts the `WorkerInit` message: the configuration, the app-protocol
 * port and the network bridge's control port (both transferred). The page keeps the other end of
 * the network port for the WebRTC bridge (`attachNet`), since workers have no RTCPeerConnection.
 *
 * @example
 * const wire = startWorkerEngine(config, (port) => startNetBridge(port, config));
 * @module
 */
import { initialState, type AppConfig, type ClockMessage, type FromEngine, type WorkerInit } from '../protocol.ts';
import { portWire, type Wire } from './client.ts';

/** Starts the worker; a worker that fails to load (or dies) turns into a `fatal` state, not silence. */
export function startWorkerEngine(config: AppConfig, attachNet?: (port: MessagePort, config: AppConfig) => void): Wire {
  const worker = new Worker(new URL('../worker.ts', import.meta.url), { type: 'module', name: 'beeptrace-engine' });
  const app = new MessageChannel();
  const net = new MessageChannel();
  const init: WorkerInit = { kind: 'init', config, app: app.port2, net: net.port2 };
  worker.postMessage(init, [app.port2, net.port2]);
  attachNet?.(net.port1, config);
  const inner = portWire(app.port1);
  // The engine's clock follows the page's (src/app/worker.ts): every second, and before every intent.
  const tellTime = () => app.port1.postMessage({ kind: 'clock', now: Date.now() } satisfies ClockMessage);
  tellTime();
  setInterval(tellTime, 1000);
  return {
    post: (m) => {
      tellTime();
      inner.post(m);
    },
    listen(fn: (m: FromEngine) => void) {
      const stop = inner.listen(fn);
      const onError = (e: ErrorEvent) => {
        e.preventDefault();
        fn({ kind: 'state', state: { ...initialState(), fatal: `The BeepTrace engine stopped: ${e.message || 'it could not be loaded'}` } });
      };
      worker.addEventListener('error', onError);
      return () => { stop(); worker.removeEventListener('error', onError); };
    },
  };
}
