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
 * 3. Attack (`--only attack`; `--attack-nodes A`, default 20). Eclipse (`--sybils S`, default 40):
 *    10% of the nodes are hosts with S ids of one source each dialling honest nodes and relaying
 *    nothing — `gossip.delivery_under_eclipse`, `gossip.min_honest_peers_under_eclipse`. SYNC
 *    work: `sync.attacker_cpu_fraction` (`--sync-entries N`). Then A nodes, 10% of them attackers with
 *    one ordinary link each (`--attacker-links`), one attack per run at the highest rate the node allows: `flood`
 *    (INVs of 256 random ids, 100 frames/s, 820 kB/s), `withhold` (re-announce every id heard, answer
 *    GETs with the first chunk of a fake 1 MB body, resent every 2 s), `orphans` (trace batches
 *    whose parents exist nowhere, uploaded at 50/s). 10 honest blocks published at honest nodes one
 *    a second. `gossip.delivery_under_attack`: the share of (honest node, honest block) pairs held
 *    40 s after the last one (the worst attack); `gossip.attacker_memory_bytes_per_node`: the
 *    largest memory an honest node spends on attackers' links at any 5 s sample (wanted ids at
 *    ~256 B each, held pending bytes, partial-block bytes), averaged over honest nodes.
 */
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { World } from '../../src/node/sim/world.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { DEFAULT_POLICY, type Policy } from '../../src/core/policy.ts';
import { Prng } from '../../src/core/prng.ts';
import { toHex } from '../../src/core/bytes.ts';
import { Chain, Precision, Source } from '../../src/core/types.ts';
import { SimNetwork } from '../../src/net/sim.ts';
import { blockFrames, decodeFrame, encodeFrame, sortIds } from '../../src/net/frames.ts';
import { DEFAULT_GOSSIP } from '../../src/net/gossip.ts';
import type { Link } from '../../src/net/link.ts';
import { traceBatchBlock } from '../../src/core/blocks.ts';
import { decodeBlock, sortParents } from '../../src/core/codec/block.ts';
import { isCaseBlock } from '../../src/core/ledger/cases.ts';
import { epochOf } from '../../src/core/policy.ts';
import { DAY, makeCity, sealCity } from './city.ts';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const arg = (name: string, def: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : def);
const NODES = arg('--nodes', 1000);
const USERS = arg('--users', 10_000);
const SEED = arg('--seed', 1);
const ATTACK_NODES = arg('--attack-nodes', 20);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : '';
if (!Number.isInteger(NODES) || NODES < 20) throw new Error('--nodes must be an integer ≥ 20');
if (!Number.isInteger(USERS) || USERS < 100) throw new Error('--users must be an integer ≥ 100');
if (!Number.isInteger(ATTACK_NODES) || ATTACK_NODES < 20) throw new Error('--attack-nodes must be an integer ≥ 20');

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
  // A thin node also holds the tracing chain's case blocks (PROTOCOL §15 item 34), never a trace batch.
  const cases = tracing.filter((bytes) => isCaseBlock(Chain.TRACING, decodeBlock(bytes).kind));
  const caseBytes = bytesOf(cases);
  while (thin.ledger.count(Chain.TRACING) < cases.length && sim.net.now() < t1 + 240_000) await sim.net.run(sim.net.now() + 1_000);
  await sim.net.run(sim.net.now() + 5_000);
  const ts = thin.node.stats();
  const down = ts.traffic.bytesIn;
  const held = thin.ledger.count(Chain.NOTIFICATION) === notif.length && thin.ledger.count(Chain.TRACING) === cases.length;
  emit('thin.download_bytes_per_day', down, 'bytes', {
    target: `≈ notification chain (${notifBytes} B) + case blocks (${caseBytes} B), ≪ tracing chain (${tracingBytes} B)`, ok: down <= 1.25 * (notifBytes + caseBytes) + 10_000 && held,
    notification_chain_bytes: notifBytes, case_blocks: cases.length, case_block_bytes: caseBytes, tracing_chain_bytes: tracingBytes,
    note: `everything a new thin node received to hold the day's notification chain (${notif.length} blocks) and the tracing chain's ${cases.length} case blocks: blocks, INV, SYNC, HELLO; no trace batch${held ? '' : ' — INCOMPLETE'}`,
  });
}

// ───────────────────────────── 3. attacks ─────────────────────────────

type Attack = 'flood' | 'withhold' | 'orphans';
/** Memory one wanted id costs (hex key, want record, source list), bytes: an estimate for the figure. */
const WANT_BYTES = 256;
/** Links each attacker opens (`--attacker-links`, default 1). */
const LINKS_PER_ATTACKER = arg('--attacker-links', 1);

interface PeerView { link: { id: string }; wantCount: number; heldBytes: number; reassembler: { held: number } }

async function attackRun(attack: Attack, w: World, ca: Uint8Array[], honestBlocks: Uint8Array[], orphans: Uint8Array[]): Promise<{ delivery: number; memory: number; attackerLinks: number }> {
  const A = Math.round(ATTACK_NODES * 0.1);
  const H = ATTACK_NODES - A;
  const sim = new SimNetwork({ crypto: c, rootKey: w.root.publicKey, region: w.region, seed: SEED, startMs: w.nowMs + 1000, link: { delay: [10, 100] } });
  const r = new Prng(SEED + 17);
  for (let i = 0; i < H; i++) await sim.addNode(`n${i}`, 'full', { preload: ca });
  log(`attack ${attack}: ${H} honest nodes, ${A} attackers`);
  await sim.net.run(sim.net.now() + 20_000);
  const nodes = sim.all();
  // attackers: one ordinary link each (issue 9: "with one ordinary connection each"), HELLO as a full node
  const links: Link[] = [];
  for (let a = 0; a < A; a++) {
    const addr = `evil${a}`;
    sim.net.add(addr, { accept: (l) => l.close('no') });
    for (const victim of r.shuffle(nodes.map((n) => n.addr)).slice(0, LINKS_PER_ATTACKER)) {
      const p = sim.net.connect(addr, victim);
      await sim.net.run(sim.net.now() + 200);
      const l = await p;
      l.send(encodeFrame({ type: 'hello', version: 1, region: w.region, chains: [1, 2], role: 'full' }));
      links.push(l);
    }
  }
  const end = sim.net.now() + honestBlocks.length * 1000 + 40_000;
  const every = (ms: number, fn: () => void) => {
    const loop = () => {
      if (sim.net.now() >= end) return;
      fn();
      sim.net.clock.setTimeout(loop, ms);
    };
    sim.net.clock.setTimeout(loop, 0);
  };
  const fakes = new Map<string, Uint8Array>();
  const fakeFirst = (id: Uint8Array) => {
    const h = toHex(id);
    if (!fakes.has(h)) fakes.set(h, blockFrames(id, r.bytes(1_000_000), false)[0]);
    return fakes.get(h)!;
  };
  for (const [k, l] of links.entries()) {
    if (attack === 'flood') every(10, () => l.send(encodeFrame({ type: 'inv', chain: Chain.TRACING, ids: sortIds(Array.from({ length: 256 }, () => r.bytes(32))) })));
    if (attack === 'withhold') {
      const asked = new Map<string, Uint8Array>();
      l.onFrame = (fr) => {
        const x = decodeFrame(fr);
        if (x.type === 'inv') for (const other of links) other.send(encodeFrame({ type: 'inv', chain: x.chain, ids: x.ids })); // claim every id heard
        if (x.type === 'get') for (const id of x.ids) asked.set(toHex(id), id);
      };
      every(2_000, () => { for (const id of asked.values()) l.send(fakeFirst(id)); });
    }
    if (attack === 'orphans') {
      let i = k * 37;
      every(20, () => { const b = orphans[i++ % orphans.length]; l.send(blockFrames(c.sha256(b), b, true)[0]); });
    }
  }
  const isEvil = (link: string) => sim.net.linkInfo(link)?.remote.startsWith('evil') ?? false;
  let memory = 0;
  const sample = () => {
    let sum = 0;
    for (const n of nodes) {
      const peers = [...(n.node as unknown as { peersByLink: Map<string, PeerView> }).peersByLink.values()];
      for (const p of peers) if (isEvil(p.link.id)) sum += p.wantCount * WANT_BYTES + p.heldBytes + p.reassembler.held;
    }
    memory = Math.max(memory, sum / nodes.length);
  };
  every(5_000, sample);
  const want = honestBlocks.map((b) => toHex(c.sha256(b)));
  for (const b of honestBlocks) {
    void nodes[r.int(H)].node.publish(b);
    await sim.net.run(sim.net.now() + 1_000);
  }
  await sim.net.run(end);
  sample();
  let have = 0;
  for (const n of nodes) for (const h of want) if (n.ledger.has(h)) have++;
  return { delivery: have / (H * want.length), memory, attackerLinks: links.length };
}

async function attackBench(): Promise<void> {
  const w = await World.create({ crypto: c, startMs, policy });
  const ca = await notificationBlocks(w);
  const honest: Uint8Array[] = [];
  for (let i = 0; i < 10; i++) {
    w.advanceTo(w.nowMs + 1000);
    await w.upload(new UserKeys(c, c.randomBytes(32)), DAY, [{ start: DAY * 1440 + 600 + i, minutes: 10, latE7: 558_000_000 + i * 1000, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }]);
    honest.push((await w.ledger.get(w.ledger.entries(Chain.TRACING).at(-1)!.id))!);
  }
  const epoch = epochOf(policy, DAY);
  const orphans = Array.from({ length: 400 }, (_, i) => traceBatchBlock(c, new UserKeys(c, c.randomBytes(32)), {
    region: w.region, timeSec: w.timeSec(), parents: sortParents(Array.from({ length: 4 }, () => ({ id: c.randomBytes(32), time: w.timeSec() - 1 }))),
    day: DAY, part: 0, epoch, epochPub: w.ledger.authority.epochKey(epoch)!, powBits: policy.pow.traceBits,
    stays: [{ start: DAY * 1440 + 600 + (i % 800), minutes: 10, latE7: 558_000_000 + i, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }],
  }));
  const wallE = performance.now();
  const e = await eclipseRun(w, ca, honest);
  log(`eclipse: delivery ${e.delivery}, fewest honest peers of any honest node at any of ${e.samples} samples ${e.minHonest}, most sybil links on one node ${e.sybilLinks} (${Math.round(performance.now() - wallE)} ms wall)`);
  emit('gossip.delivery_under_eclipse', e.delivery, 'ratio', { target: '1.0', ok: e.delivery === 1, note: `${ATTACK_NODES} nodes, 10% attackers each dialling from ${SYBILS} ids of one source, relaying nothing; 10 honest blocks, 5 min` });
  emit('gossip.min_honest_peers_under_eclipse', e.minHonest, 'peers', { target: '≥ 4', ok: e.minHonest >= 4, note: `fewest honest peers of any honest node at any 5 s sample (${e.samples} samples); at most ${e.sybilLinks} sybil links on one node` });
  const results: Record<string, { delivery: number; memory: number; attackerLinks: number }> = {};
  for (const a of ['flood', 'withhold', 'orphans'] as Attack[]) {
    const wall0 = performance.now();
    results[a] = await attackRun(a, w, ca, honest, orphans);
    log(`attack ${a}: delivery ${results[a].delivery}, ${Math.round(results[a].memory)} B per node on attackers' links (${Math.round(performance.now() - wall0)} ms wall)`);
  }
  const delivery = Math.min(...Object.values(results).map((x) => x.delivery));
  const memory = Math.max(...Object.values(results).map((x) => x.memory));
  const perPeer = DEFAULT_GOSSIP.maxWantsPerPeer * WANT_BYTES + DEFAULT_GOSSIP.maxHeldBytesPerPeer + 2 * 1024 * 1024;
  const links = results.flood.attackerLinks;
  const H = ATTACK_NODES - Math.round(ATTACK_NODES * 0.1);
  const budget = (links / H) * perPeer;
  const each = Object.entries(results).map(([a, x]) => `${a} ${x.delivery.toFixed(3)} / ${Math.round(x.memory / 1024)} KiB`).join(', ');
  emit('gossip.delivery_under_attack', delivery, 'ratio', { target: '1.0', ok: delivery === 1, note: `worst of: ${each}; ${ATTACK_NODES} nodes, 10% attackers × ${LINKS_PER_ATTACKER} link(s), 10 honest blocks, 40 s after the last` });
  emit('gossip.attacker_memory_bytes_per_node', memory, 'bytes', { target: `≤ budget ${Math.round(budget)} (${(links / H).toFixed(2)} attacker links per honest node × per-peer budget)`, ok: memory <= budget, note: 'largest 5 s sample, mean over honest nodes: wanted ids × 256 B + held pending + partial blocks on attackers\' links' });
}

// ───────────────────────────── 3a. eclipse by sybils ─────────────────────────────

/** Ids each eclipse attacker dials from (`--sybils`, default 40, as in issue 17 finding 1). */
const SYBILS = arg('--sybils', 40);

/**
 * `gossip.delivery_under_eclipse` and `gossip.min_honest_peers_under_eclipse`: A nodes, 10% of
 * them attackers, each a host with SYBILS ids in one source (a network prefix) that all dial
 * random honest nodes, redial 1–3 s after a link closes, answer dials too, say HELLO and relay
 * nothing. 10 honest blocks one a second at honest nodes; over 5 minutes every 5 s the fewest
 * honest peers any honest node has; delivery 40 s after the last block.
 */
async function eclipseRun(w: World, ca: Uint8Array[], honestBlocks: Uint8Array[]): Promise<{ delivery: number; minHonest: number; sybilLinks: number; samples: number }> {
  const A = Math.round(ATTACK_NODES * 0.1);
  const H = ATTACK_NODES - A;
  const sim = new SimNetwork({ crypto: c, rootKey: w.root.publicKey, region: w.region, seed: SEED, startMs: w.nowMs + 1000, link: { delay: [10, 100] } });
  const r = new Prng(SEED + 23);
  for (let i = 0; i < H; i++) await sim.addNode(`n${i}`, 'full', { preload: ca });
  log(`eclipse: ${H} honest nodes, ${A} attackers × ${SYBILS} ids`);
  await sim.net.run(sim.net.now() + 20_000);
  const nodes = sim.all();
  const hello = encodeFrame({ type: 'hello', version: 1, region: w.region, chains: [1, 2], role: 'full' });
  const silent = (l: Link) => {
    l.send(hello);
    l.onFrame = () => {};
  };
  const isSybil = (addr: string | undefined) => addr?.startsWith('sybil') ?? false;
  for (let a = 0; a < A; a++) {
    for (let k = 0; k < SYBILS; k++) {
      const addr = `sybil${a}-${k}`;
      sim.net.add(addr, { accept: silent }, { source: `evil-net-${a}`, chains: [1, 2] });
      const dial = () => {
        const target = nodes[r.int(H)].addr;
        sim.net.connect(addr, target).then((l) => {
          silent(l);
          l.onClose = () => sim.net.clock.setTimeout(dial, 1_000 + r.int(2_000));
        }, () => sim.net.clock.setTimeout(dial, 1_000 + r.int(2_000)));
      };
      sim.net.clock.setTimeout(dial, r.int(5_000));
    }
  }
  let minHonest = Infinity;
  let samples = 0;
  let sybilLinks = 0;
  const end = sim.net.now() + 300_000;
  const sample = () => {
    samples++;
    for (const n of nodes) {
      const ends = n.node.peers().map((p) => sim.net.linkInfo(p.link)?.remote);
      minHonest = Math.min(minHonest, ends.filter((x) => x !== undefined && !isSybil(x)).length);
      sybilLinks = Math.max(sybilLinks, ends.filter(isSybil).length);
    }
  };
  const loop = () => {
    if (sim.net.now() >= end) return;
    sample();
    sim.net.clock.setTimeout(loop, 5_000);
  };
  sim.net.clock.setTimeout(loop, 5_000);
  await sim.net.run(sim.net.now() + 60_000); // the siege settles in
  const want = honestBlocks.map((b) => toHex(c.sha256(b)));
  for (const b of honestBlocks) {
    void nodes[r.int(H)].node.publish(b);
    await sim.net.run(sim.net.now() + 1_000);
  }
  await sim.net.run(end);
  let have = 0;
  for (const n of nodes) for (const h of want) if (n.ledger.has(h)) have++;
  return { delivery: have / (H * want.length), minHonest, sybilLinks, samples };
}

// ───────────────────────────── 3b. reconciliation work an attacker can cause ─────────────────────────────

/** Tracing-chain blocks the victim of the SYNC attacks holds (`--sync-entries`, default 150,000, as in issue 17 finding 5). */
const SYNC_ENTRIES = arg('--sync-entries', 150_000);

/**
 * `sync.attacker_cpu_fraction`: the CPU a full node spends answering one attacking link's SYNC
 * frames, as a fraction of one core, over 60 s of virtual time. The attacker keeps a copy of the
 * victim's work budget (the defaults are public) and sends a frame whenever the budget allows one
 * (never more than the frame limit, 200/s), so it is never penalised: the most it can make the node
 * do without being disconnected. Three frame shapes, each a run: `skip` (a SKIP over the whole
 * window between two one-id FINGERPRINTs of empty ranges at its ends), `fingerprint` (a wrong FINGERPRINT of the whole
 * window) and `idlist` (256 random ids over the whole window). The figure is the worst; the time is
 * the handler's wall time on this machine (frame decoding included), in virtual seconds of attack.
 */
async function syncAttackBench(): Promise<void> {
  const { DEFAULT_SYNC, syncWork, SyncIndex } = await import('../../src/net/sync.ts');
  const { MAX_BOUND } = await import('../../src/net/frames.ts');
  const w = await World.create({ crypto: c, startMs, policy });
  const ca = await notificationBlocks(w);
  await w.upload(new UserKeys(c, c.randomBytes(32)), DAY, [{ start: DAY * 1440 + 600, minutes: 10, latE7: 558_000_000, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }]);
  const template = (await w.ledger.get(w.ledger.entries(Chain.TRACING).at(-1)!.id))!;
  // N distinct blocks over the last 20 hours: the template with another time and another signature
  // (preloaded blocks are trusted, not verified: docs of SimNetwork)
  const r = new Prng(SEED + 5);
  const t1 = w.timeSec();
  const blocks: Uint8Array[] = [];
  for (let i = 0; i < SYNC_ENTRIES; i++) {
    const b = template.slice();
    new DataView(b.buffer).setUint32(5, t1 - 72_000 + Math.floor((i * 72_000) / SYNC_ENTRIES));
    b.set(r.bytes(32), b.length - 64);
    blocks.push(b);
  }
  const results: Record<string, number> = {};
  for (const shape of ['skip', 'fingerprint', 'idlist'] as const) {
    const sim = new SimNetwork({ crypto: c, rootKey: w.root.publicKey, region: w.region, seed: SEED, startMs: w.nowMs + 1000, link: { delay: [10, 20] }, node: { mesh: { rotateMs: 0 } } });
    const victim = await sim.addNode('v', 'full', { preload: [...ca, ...blocks] });
    sim.net.add('evil', { accept: (l) => l.close('no') });
    const p = sim.net.connect('evil', 'v');
    await sim.net.run(sim.net.now() + 500);
    const evil = await p;
    evil.send(encodeFrame({ type: 'hello', version: 1, region: w.region, chains: [1, 2], role: 'full' }));
    await sim.net.run(sim.net.now() + 1000);
    // time the victim's handler of the attacker's link
    const vp = [...(victim.node as unknown as { peersByLink: Map<string, { link: { id: string; onFrame?: (f: Uint8Array) => void } }> }).peersByLink.values()]
      .find((x) => sim.net.linkInfo(x.link.id)?.remote === 'evil')!;
    let busyMs = 0;
    const inner = vp.link.onFrame!;
    vp.link.onFrame = (f) => {
      const t = performance.now();
      inner(f);
      busyMs += performance.now() - t;
    };
    const top = { time: t1 + 10_000, prefix: new Uint8Array(0) };
    const start = { time: 0, prefix: new Uint8Array(0) };
    const frame = shape === 'skip'
      ? { type: 'sync' as const, chain: Chain.TRACING, start, ranges: [{ upper: { time: 1, prefix: new Uint8Array(0) }, mode: 'fingerprint' as const, count: 1, fingerprint: new Uint8Array(16) }, { upper: top, mode: 'skip' as const }, { upper: MAX_BOUND, mode: 'fingerprint' as const, count: 1, fingerprint: new Uint8Array(16) }] }
      : shape === 'fingerprint'
        ? { type: 'sync' as const, chain: Chain.TRACING, start, ranges: [{ upper: MAX_BOUND, mode: 'fingerprint' as const, count: 1, fingerprint: new Uint8Array(16) }] }
        : { type: 'sync' as const, chain: Chain.TRACING, start, ranges: [{ upper: MAX_BOUND, mode: 'idlist' as const, ids: sortIds(Array.from({ length: 256 }, () => r.bytes(32))) }] };
    const bytes = encodeFrame(frame);
    // the attacker's copy of the victim's budget
    const index = new SyncIndex();
    for (const e of victim.ledger.entries(Chain.TRACING)) index.add(e.time, e.id);
    const cost = Math.min(syncWork(index, frame), DEFAULT_SYNC.workBurst);
    let tokens = DEFAULT_SYNC.workBurst;
    let sent = 0;
    const T = 60_000;
    const t0 = sim.net.now();
    const tick = 5; // ms: at most 200 frames/s
    let last = t0;
    const loop = () => {
      const now = sim.net.now();
      if (now >= t0 + T) return;
      tokens = Math.min(DEFAULT_SYNC.workBurst, tokens + ((now - last) / 1000) * DEFAULT_SYNC.workPerSec);
      last = now;
      if (tokens >= cost * 1.01) {
        tokens -= cost;
        evil.send(bytes);
        sent++;
      }
      sim.net.clock.setTimeout(loop, tick);
    };
    sim.net.clock.setTimeout(loop, 0);
    await sim.net.run(t0 + T + 1000);
    const penalties = victim.node.stats().penalties;
    results[shape] = busyMs / T;
    log(`sync attack ${shape}: ${sent} frames in ${T / 1000} s (charged ${cost} ids each), victim busy ${Math.round(busyMs)} ms = ${(100 * busyMs / T).toFixed(2)} % of a core, ${penalties} penalties`);
  }
  const worst = Math.max(...Object.values(results));
  const each = Object.entries(results).map(([k, v]) => `${k} ${(100 * v).toFixed(2)} %`).join(', ');
  emit('sync.attacker_cpu_fraction', worst, 'core', { target: '≤ 0.05', ok: worst <= 0.05, note: `worst of: ${each}; one link sending SYNC frames as fast as the work budget allows for 60 s against ${SYNC_ENTRIES} tracing blocks; handler wall time / attack time` });
}

if (!only || only === 'gossip') {
  await gossipBench(0);
  await gossipBench(0.01);
}
if (!only || only === 'sync') await syncBench();
if (!only || only === 'attack') {
  await syncAttackBench();
  await attackBench();
}
