// A browser thin node for the e2e tests: Ledger on IndexedDB (carries the notification chain
// only), NetNode in the thin role, WebRTC transport through the real signaling server. The test
// drives it through window.bt.
import { nobleCrypto } from '../../../src/core/crypto.ts';
import { fromHex, toHex } from '../../../src/core/bytes.ts';
import { UserKeys } from '../../../src/core/keys.ts';
import { traceBatchBlock } from '../../../src/core/blocks.ts';
import { epochOf } from '../../../src/core/policy.ts';
import { Precision, Source } from '../../../src/core/types.ts';
import { openThinNode } from '../../../src/app/thin-node.ts';

const q = new URLSearchParams(location.search);
const region = Number(q.get('region'));
const thin = await openThinNode({ signalUrl: q.get('signal')!, region, rootKey: fromHex(q.get('root')!), dbName: `beeptrace-${q.get('name')}`, tickMs: 250 });
const { ledger, node, transport } = thin;
thin.start();
const received: { hex: string; chain: number; kind: number }[] = [];
node.onBlock((e) => received.push({ hex: e.hex, chain: e.chain, kind: e.kind }));

(window as unknown as { bt: unknown }).bt = {
  count: (chain?: 1 | 2) => ledger.count(chain),
  has: (hex: string) => ledger.has(hex),
  received: () => received,
  peers: () => node.peers().length,
  signalConnected: () => transport.sig.connected,
  stats: () => node.stats(),
  /** Seal and publish one trace batch of today (goes to a peer that carries the tracing chain). */
  async upload(): Promise<{ id: string; status: string }> {
    const keys = new UserKeys(nobleCrypto, nobleCrypto.randomBytes(32));
    const now = Date.now();
    const day = Math.floor(now / 86_400_000);
    const epoch = epochOf(ledger.authority.policy, day);
    const epochPub = ledger.authority.epochKey(epoch);
    if (!epochPub) throw new Error(`no epoch key for epoch ${epoch} yet`);
    const minute = Math.floor(now / 60_000) - 40;
    const bytes = traceBatchBlock(nobleCrypto, keys, {
      region, timeSec: Math.floor(now / 1000), parents: [], day, part: 0, epoch, epochPub, powBits: ledger.authority.policy.pow.traceBits,
      stays: [{ start: Math.max(day * 1440, minute), minutes: 30, latE7: 558_721_000, lonE7: -42_882_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }],
    });
    const r = await node.publish(bytes);
    return { id: toHex(r.id), status: r.status };
  },
};
