// A browser node for the e2e tests: Ledger on IndexedDB (a thin node carries the notification
// chain only; with ?relay=1 the page opts in as a tracing relay), NetNode, WebRTC transport
// through the real signaling server. The test drives it through window.bt.
import { nobleCrypto } from '../../../src/core/crypto.ts';
import { fromHex, toHex } from '../../../src/core/bytes.ts';
import { UserKeys } from '../../../src/core/keys.ts';
import { traceBatchBlock } from '../../../src/core/blocks.ts';
import { epochOf } from '../../../src/core/policy.ts';
import { Precision, Source } from '../../../src/core/types.ts';
import { openThinNode } from '../../../src/app/thin-node.ts';
import { OUTBOX_INDEX_KEY } from '../../../src/net/outbox.ts';

const q = new URLSearchParams(location.search);
const region = Number(q.get('region'));
const dbName = `beeptrace-${q.get('name')}`;
// The page's device: one seed per page name, kept in sessionStorage so a reload keeps it.
const seedKey = `seed-${dbName}`;
const seed = sessionStorage.getItem(seedKey) ?? toHex(nobleCrypto.randomBytes(32));
sessionStorage.setItem(seedKey, seed);
const keys = new UserKeys(nobleCrypto, fromHex(seed));
const prunes: { at: number; pruned: number; error?: string }[] = [];
const thin = await openThinNode({ signalUrl: q.get('signal')!, region, rootKey: fromHex(q.get('root')!), dbName, tickMs: 250, keys, relay: q.get('relay') === '1', onPrune: (r) => prunes.push({ at: Date.now(), ...r }) });
const { ledger, node, transport } = thin;
thin.start();
const received: { hex: string; chain: number; kind: number }[] = [];
let part = Number(sessionStorage.getItem(`part-${dbName}`) ?? 0);
node.onBlock((e) => received.push({ hex: e.hex, chain: e.chain, kind: e.kind }));

(window as unknown as { bt: unknown }).bt = {
  count: (chain?: 1 | 2) => ledger.count(chain),
  /** Retention prunings so far (the node's own schedule), with the page's time of each. */
  prunes: () => prunes,
  /** Block times (ms) in IndexedDB, per chain: what the store holds, not the ledger's index. */
  async storedTimes(chain: 1 | 2): Promise<number[]> {
    return (await thin.store.listBlocks(chain, -Infinity, Infinity)).map((m) => m.time);
  },
  has: (hex: string) => ledger.has(hex),
  received: () => received,
  peers: () => node.peers().length,
  signalConnected: () => transport.sig.connected,
  stats: () => node.stats(),
  role: thin.role,
  /** Own uploads kept until a checkpoint proves them. */
  retained: () => node.retained(),
  /** Ids listed as kept in IndexedDB (the outbox list), hex. */
  async kept(): Promise<string[]> {
    const index = (await thin.store.getValue(OUTBOX_INDEX_KEY)) ?? new Uint8Array(0);
    const out: string[] = [];
    for (let i = 0; i < index.length; i += 32) out.push(toHex(index.subarray(i, i + 32)));
    return out;
  },
  /** Seal and publish one trace batch of today (goes to a peer that carries the tracing chain). */
  async upload(): Promise<{ id: string; status: string }> {
    const now = Date.now();
    sessionStorage.setItem(`part-${dbName}`, String(part + 1)); // a part number is never used twice (AEAD nonce)
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
