// The page of the node-in-a-Worker test: it holds the WebRTC links (net bridge) and nothing of the
// ledger; the NetNode runs in a dedicated module Worker (worker-entry.ts). The test drives the
// worker through window.bt.call(method).
import { openNetBridge } from '../../../src/app/page/net-bridge.ts';

const q = new URLSearchParams(location.search);
const config = { region: Number(q.get('region')), signalUrl: q.get('signal')!, rootKey: q.get('root')! };
const bridge = openNetBridge({ signalUrl: config.signalUrl, region: config.region, onError: (e) => console.error(e.message) });
const worker = new Worker(new URL('./worker-entry.ts', import.meta.url), { type: 'module' });
worker.onerror = (e) => console.error(`worker: ${e.message}`);
const rpc = new MessageChannel();
worker.postMessage({ kind: 'init', config, net: bridge.port, rpc: rpc.port2, name: q.get('name') }, [bridge.port, rpc.port2]);

let next = 1;
const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
rpc.port1.onmessage = (ev) => {
  const { id, ok, value, error } = ev.data as { id: number; ok: boolean; value?: unknown; error?: string };
  const w = waiting.get(id);
  waiting.delete(id);
  if (ok) w?.resolve(value);
  else w?.reject(new Error(error));
};

(window as unknown as { bt: unknown }).bt = {
  /** Ask the worker's node something (see worker-entry.ts). */
  call(method: string, ...args: unknown[]): Promise<unknown> {
    const id = next++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      rpc.port1.postMessage({ id, method, args });
    });
  },
};
