// The dedicated Worker of the node-in-a-Worker test: the device's node (Ledger on IndexedDB,
// NetNode) built from the page's control port with openWorkerNode, answering the page's calls.
import { nobleCrypto } from '../../../src/core/crypto.ts';
import { toHex } from '../../../src/core/bytes.ts';
import { UserKeys } from '../../../src/core/keys.ts';
import { traceBatchBlock } from '../../../src/core/blocks.ts';
import { epochOf } from '../../../src/core/policy.ts';
import { Precision, Source } from '../../../src/core/types.ts';
import { openWorkerNode } from '../../../src/app/thin-node.ts';
import type { AppConfig } from '../../../src/app/protocol.ts';

interface Init { kind: 'init'; config: AppConfig; net: MessagePort; rpc: MessagePort; name: string }

self.onmessage = async (ev: MessageEvent<Init>) => {
  const init = ev.data;
  // answer calls from the start: one that comes while the node opens waits for it, and a node that
  // failed to open answers every call with why (never a call left without an answer)
  let failed: Error | undefined;
  let opened!: () => void;
  const ready = new Promise<void>((r) => { opened = r; });
  init.rpc.onmessage = async (m: MessageEvent<{ id: number; method: string; args: unknown[] }>) => {
    const { id, method, args } = m.data;
    try {
      await ready;
      if (failed) throw new Error(`the worker node did not open: ${failed.message}`);
      const f = methods[method];
      if (!f) throw new Error(`no method ${method}`);
      init.rpc.postMessage({ id, ok: true, value: await f(...args) });
    } catch (e) {
      init.rpc.postMessage({ id, ok: false, error: (e as Error).message });
    }
  };
  const keys = new UserKeys(nobleCrypto, nobleCrypto.randomBytes(32));
  let thin: Awaited<ReturnType<typeof openWorkerNode>>;
  try {
    thin = await openWorkerNode(init, { dbName: `beeptrace-worker-${init.name}`, keys, tickMs: 250 });
  } catch (e) {
    failed = e as Error;
    opened();
    return;
  }
  thin.start();
  const { ledger, node, transport } = thin;
  const region = init.config.region;
  let part = 0;
  const methods: Record<string, (...a: any[]) => unknown> = {
    count: (chain?: 1 | 2) => ledger.count(chain),
    has: (hex: string) => ledger.has(hex),
    peers: () => node.peers().length,
    role: () => thin.role,
    signaling: () => transport.signaling,
    inWorker: () => typeof (globalThis as { document?: unknown }).document === 'undefined' && typeof (globalThis as { importScripts?: unknown }).importScripts === 'function',
    retained: () => node.retained(),
    peerInfo: () => JSON.parse(JSON.stringify(node.peers())),
    /** Seal and publish one trace batch of today: handed to a peer that carries the tracing chain. */
    async upload() {
      const now = Date.now();
      const day = Math.floor(now / 86_400_000);
      const epoch = epochOf(ledger.authority.policy, day);
      const epochPub = ledger.authority.epochKey(epoch);
      if (!epochPub) throw new Error(`no epoch key for epoch ${epoch} yet`);
      const minute = Math.floor(now / 60_000) - 40;
      const bytes = traceBatchBlock(nobleCrypto, keys, {
        region, timeSec: Math.floor(now / 1000), parents: [], day, part: part++, epoch, epochPub, powBits: ledger.authority.policy.pow.traceBits,
        stays: [{ start: Math.max(day * 1440, minute), minutes: 30, latE7: 558_721_000, lonE7: -42_882_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }],
      });
      const r = await node.publish(bytes);
      return { id: toHex(r.id), status: r.status };
    },
  };
  opened();
};
