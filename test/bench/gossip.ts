/**
 * `node --import tsx test/bench/gossip.ts [--json] [--nodes N] [--users U] [--seed S] [--only gossip|sync]`:
 * the network layer's benchmarks, in virtual time over the deterministic in-memory network, with
 * the real frame codec and real acceptance (one Ledger per node, every signature checked). One JSON
 * object per line with `name`, `value`, `unit` (and `target`, `ok`, `note` where they apply), like
 * test/bench/run.ts, which runs this script after the protocol figures, so that `npm run bench`
 * prints both (its `--city-users` is `--users` here). See docs/NET.md §Benchmarks.
 *
 * 1. Gossip: N (default 1,000) full nodes, mesh target 6 / cap 12, link delay 10–100 ms; 30 trace
 *    batches and 4 checkpoint blocks published one a second at random nodes while 5% of the nodes
 *    are churned (all their links cut). Delivery, body copies, INVs, hops, latency, bytes. Run twice:
 *    without frame loss (data channels are reliable), and with 1% loss (delivery and latency only).
 * 2. Sync: one day of a U-user city (default 10,000 trace batches, sealed like the protocol bench,
 *    plus the notification chain: CA statements, solver notifications for 20 patients, checkpoints)
 *    held by one full node; a new full node with an empty ledger syncs it over one 10 Mbit/s link
 *    (20–60 ms delay). Then a new thin node syncs the same day from the same peer.
 */
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { World } from '../../src/node/sim/world.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { DEFAULT_POLICY, type Policy } from '../../src/core/policy.ts';
import { Prng } from '../../src/core/prng.ts';
import { toHex } from '../../src/core/bytes.ts';
import { Chain, Precision, Source } from '../../src/core/types.ts';
import { SimNetwork } from '../../src/net/sim.ts';
import { DAY, makeCity, sealCity } from './city.ts';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const arg = (name: string, def: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : def);
const NODES = arg('--nodes', 1000);
const USERS = arg('--users', 10_000);
const SEED = arg('--seed', 1);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : '';
if (!Number.isInteger(NODES) || NODES < 20) throw new Error('--nodes must be an integer ≥ 20');
if (!Number.isInteger(USERS) || USERS < 100) throw new Error('--users must be an integer ≥ 100');

function emit(name: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  const o = { name, value: Math.abs(value) >= 1 ? Math.round(value * 1000) / 1000 : Number(value.toPrecision(4)), unit, ...extra };
  if (json) process.stdout.write(`${JSON.stringify(o)}\n`);
  else process.stdout.write(`${name.padEnd(40)} ${String(o.value).padStart(14)} ${unit}${'target' in extra ? `   (target ${extra.target}: ${extra.ok ? 'ok' : 'MISSED'})` : ''}${extra.note ? `   — ${extra.note}` : ''}\n`);
}
const log = (m: string) => process.stderr.write(`· ${m}\n`);
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

// Bench policy as in run.ts: 4 bits of proof-of-work so that generating blocks takes seconds;
// verification cost does not depend on the difficulty.
const policy: Policy = { ...DEFAULT_POLICY, pow: { ...DEFAULT_POLICY.pow, traceBits: 4 } };
const startMs = (DAY + 1) * 86_400_000 + 3_600_000;

async function notificationBlocks(w: World): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const e of w.ledger.entries(Chain.NOTIFICATION)) out.push((await w.ledger.get(e.id))!);
  return out;
}

// ───────────────────────────── 1. gossip ─────────────────────────────

async function gossipBench(loss: number): Promise<void> {
  const sfx = loss ? `_${Math.round(loss * 100)}pct_loss` : '';
  const w = await World.create({ crypto: c, startMs, policy });
  const ca = await notificationBlocks(w);
  const from = w.timeSec();
  const blocks: Uint8Array[] = [];
  for (let i = 0; i < 30; i++) {
    w.advanceTo(w.nowMs + 1000);
    await w.upload(new UserKeys(c, c.randomBytes(32)), DAY, [{ start: DAY * 1440 + 600 + i, minutes: 10, latE7: 558_000_000 + i * 1000, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }]);
    blocks.push((await w.ledger.get(w.ledger.entries(Chain.TRACING).at(-1)!.id))!);
  }
  // checkpoints name earlier ones as parents: keep creation order, so that each is published after its parents
  const made: Uint8Array[] = [];
  const off = w.ledger.onBlock((_e, b) => made.push(b.bytes));
  for (let k = 0; k < 2; k++) {
    w.advanceTo(w.nowMs + 1000);
    await w.checkpoint(Chain.TRACING, from, w.timeSec(), 2);
  }
  off();
  blocks.push(...made);
  const B = blocks.length;
  log(`gossip: ${NODES} full nodes, ${B} blocks, ${loss * 100}% frame loss`);
  const wall0 = performance.now();
  const sim = new SimNetwork({ crypto: c, rootKey: w.root.publicKey, region: w.region, seed: SEED, startMs: w.nowMs + 1000, link: { delay: [10, 100], loss } });
  const got = new Map<string, Map<string, { hops: number; ms: number }>>(); // block → node → first arrival
  const publishedAt = new Map<string, number>();
  for (let i = 0; i < NODES; i++) {
    const addr = `n${i}`;
    const n = await sim.addNode(addr, 'full', { preload: ca });
    n.node.onBlock((e, _b, via) => {
      const rec = got.get(e.hex);
      if (!rec || rec.has(addr)) return;
      const fromAddr = via ? sim.net.linkInfo(via)?.remote : undefined;
      const prev = fromAddr ? rec.get(fromAddr) : undefined;
      rec.set(addr, { hops: via ? (prev ? prev.hops + 1 : NaN) : 0, ms: sim.net.now() - publishedAt.get(e.hex)! });
    });
  }
  const net = sim.net;
  await net.run(net.now() + 30_000);
  const diameter = sim.diameter();
  log(`mesh formed: ${net.connections().length} links, diameter ${diameter} (${Math.round(performance.now() - wall0)} ms)`);
  const nodes = sim.all();
  const before = nodes.map((n) => n.node.stats());
  const bytes0 = net.stats.bytesSent;
  const t0 = net.now();
  const r = new Prng(SEED);
  const events: { at: number; act: () => void }[] = [];
  blocks.forEach((b, i) => {
    const hex = toHex(c.sha256(b));
    const origin = nodes[r.int(NODES)];
    events.push({ at: t0 + i * 1000, act: () => {
      got.set(hex, new Map());
      publishedAt.set(hex, net.now());
      void origin.node.publish(b);
    } });
  });
  const churned = r.shuffle(nodes.map((n) => n.addr)).slice(0, Math.round(NODES * 0.05));
  for (const a of churned) events.push({ at: t0 + r.int(B * 1000 + 10_000), act: () => net.churn(a) });
  events.sort((a, b) => a.at - b.at);
  for (const e of events) {
    await net.run(e.at);
    e.act();
  }
  await net.run(t0 + B * 1000 + 60_000);
  const wallMs = performance.now() - wall0;

  let have = 0;
  const hops: number[] = [];
  const ms: number[] = [];
  for (const rec of got.values()) {
    have += rec.size;
    for (const x of rec.values()) {
      if (Number.isFinite(x.hops)) hops.push(x.hops);
      ms.push(x.ms);
    }
  }
  const after = nodes.map((n) => n.node.stats());
  let bodies = 0;
  let invs = 0;
  for (let i = 0; i < NODES; i++) {
    bodies += after[i].gossip.bodies - before[i].gossip.bodies;
    invs += (after[i].traffic.inByType.inv ?? 0) - (before[i].traffic.inByType.inv ?? 0);
  }
  const per = NODES * B;
  const delivery = have / per;
  const copies = bodies / per;
  const p99h = quantile(hops, 0.99);
  const lossNote = loss ? `${loss * 100}% of frames lost (a lost GET or BLOCK waits for its request to time out)` : 'no frame loss (data channels are reliable)';
  emit(`gossip.delivery_ratio${sfx}`, delivery, 'ratio', { target: '1.0', ok: delivery === 1, note: `${NODES} nodes × ${B} blocks, 5% of nodes churned, ${lossNote}` });
  emit(`gossip.p99_ms${sfx}`, quantile(ms, 0.99), 'ms', { note: `virtual time from publish to acceptance; median ${Math.round(quantile(ms, 0.5))} ms; links 10–100 ms` });
  if (loss) return;
  emit('gossip.copies_per_node_per_block', copies, 'bodies', { target: '≤ 1.5', ok: copies <= 1.5, note: 'block bodies received; announce-then-pull' });
  emit('gossip.invs_per_node_per_block', invs / per, 'INV frames', { note: 'announcements received (≈ one per mesh neighbour); 36 + 32·k bytes each' });
  emit('gossip.p99_hops', p99h, 'hops', { target: `≤ 3 × diameter = ${3 * diameter}`, ok: p99h <= 3 * diameter, note: `mesh diameter ${diameter} at publish time; median ${quantile(hops, 0.5)}` });
  emit('gossip.bytes_per_node_per_block', (net.stats.bytesSent - bytes0) / per, 'bytes', { note: `everything sent while measuring (INV, GET, BLOCK, SYNC, HELLO after churn) / nodes / blocks; a trace batch is ${blocks[0].length} bytes` });
  log(`gossip done in ${Math.round(wallMs)} ms wall, ${Math.round((net.now() - t0) / 1000)} s virtual`);
}

// ───────────────────────────── 2. sync of a city day ─────────────────────────────

async function syncBench(): Promise<void> {
  const w = await World.create({ crypto: c, startMs, policy });
  const { epoch, publicKey: epochPub } = await w.ensureEpoch(DAY);
  log(`city of ${USERS} users: sealing`);
  const city = makeCity(USERS, 7, c);
  const batches = sealCity(c, city, { epoch, epochPub, timeSec: w.timeSec() - 600, powBits: policy.pow.traceBits, region: w.region });
  for (const b of batches) await w.publish(b);
  const from = w.timeSec() - 700;
  const r = new Prng(SEED);
  for (const u of r.shuffle(Array.from({ length: USERS }, (_, i) => i)).slice(0, 20)) await w.diagnose(city.keys[u], DAY);
  await w.runSolver();
  w.advanceTo(w.nowMs + 60_000);
  await w.checkpoint(Chain.TRACING, from, w.timeSec());
  const notif = await notificationBlocks(w);
  const tracing: Uint8Array[] = [];
  for (const e of w.ledger.entries(Chain.TRACING)) tracing.push((await w.ledger.get(e.id))!);
  const bytesOf = (bs: Uint8Array[]) => bs.reduce((a, b) => a + b.length, 0);
  const notifBytes = bytesOf(notif);
  const tracingBytes = bytesOf(tracing);
  log(`day: ${tracing.length} tracing blocks (${(tracingBytes / 1e6).toFixed(1)} MB), ${notif.length} notification blocks (${(notifBytes / 1e3).toFixed(1)} kB)`);

  const sim = new SimNetwork({ crypto: c, rootKey: w.root.publicKey, region: w.region, seed: SEED, startMs: w.nowMs + 1000, link: { delay: [20, 60], bandwidth: 1250 } });
  const one = { options: { mesh: { target: 1, rotateMs: 0 } } };
  await sim.addNode('seed', 'full', { preload: [...notif, ...tracing], ...one });
  await sim.net.run(sim.net.now() + 1000);

  const total = tracing.length + notif.length;
  let lastAt = 0;
  const t0 = sim.net.now();
  const wall0 = performance.now();
  const joiner = await sim.addNode('new', 'full', { ...one });
  joiner.node.onBlock(() => (lastAt = sim.net.now()));
  while (joiner.ledger.count() < total && sim.net.now() < t0 + 600_000) await sim.net.run(sim.net.now() + 1_000);
  const wallS = (performance.now() - wall0) / 1000;
  const virtualS = (lastAt - t0) / 1000;
  const complete = joiner.ledger.count() === total;
  const js = joiner.node.stats();
  emit('sync.seconds_for_city_day', virtualS + wallS, 's', {
    ok: complete, virtual_s: Math.round(virtualS * 10) / 10, wall_s: Math.round(wallS * 10) / 10, blocks: total, bytes_in: js.traffic.bytesIn,
    note: `a new full node with an empty ledger syncs ${tracing.length} trace batches + ${notif.length} notification blocks from one peer over 10 Mbit/s: virtual network time (${virtualS.toFixed(1)} s) + wall time of the whole run on this machine (${wallS.toFixed(1)} s, mostly verifying every block)${complete ? '' : ' — INCOMPLETE'}`,
  });

  const t1 = sim.net.now();
  const thin = await sim.addNode('thin', 'thin', { ...one, options: { mesh: { target: 1, rotateMs: 0 }, discover: undefined } });
  while (thin.ledger.count(Chain.NOTIFICATION) < notif.length && sim.net.now() < t1 + 120_000) await sim.net.run(sim.net.now() + 1_000);
  await sim.net.run(sim.net.now() + 5_000);
  const ts = thin.node.stats();
  const down = ts.traffic.bytesIn;
  emit('thin.download_bytes_per_day', down, 'bytes', {
    target: `≈ notification chain (${notifBytes} B), ≪ tracing chain (${tracingBytes} B)`, ok: down <= 1.25 * notifBytes + 10_000 && thin.ledger.count(Chain.NOTIFICATION) === notif.length,
    notification_chain_bytes: notifBytes, tracing_chain_bytes: tracingBytes,
    note: `everything a new thin node received to hold the day's notification chain (${notif.length} blocks): blocks, INV, SYNC, HELLO; no tracing block`,
  });
}

if (!only || only === 'gossip') {
  await gossipBench(0);
  await gossipBench(0.01);
}
if (!only || only === 'sync') await syncBench();
