/**
 * `npm run bench [-- --json] [--only SECTION] [--users N] [--nodes N] [--city-users U] [--seed S] [--match-users N] [--match-seeds A,B,…]`:
 * every benchmark, one JSON object per line with `name`, `value`, `unit` (and `target`, `ok`,
 * `note` where they apply). Targets are checked here, never by timed assertions in tests.
 * See docs/BENCHMARKS.md.
 *
 * 1. Protocol core (`seal.*`, `upload.*`, `ingest.*`, `solver.*`, `notify.*`), in this process, on
 *    a synthetic city of `--users` (default 100,000) users, one day, 28 stays per user-day.
 * 2. Network (`gossip.*`, `sync.*`, `thin.*`): test/bench/gossip.ts (also `npm run bench:gossip`),
 *    run as a child process after the protocol figures, with `--nodes` (default 1,000), `--seed`
 *    (default 1) and `--city-users` (its `--users`: the city day to sync, default 10,000).
 *
 * 3. Matching accuracy (`match.*`): `beeptrace sim` towns of `--match-users` (default 600) at each
 *    location precision, one per seed of `--match-seeds` (default 7,11,17,31,37: seeds no test
 *    uses), scored against the exact per-minute computation; each line is the worst seed's figure.
 *
 * `--only match` runs only the matching figures; `--only ingest|solver|notify` runs that protocol section (seal and upload figures included, they
 * come with the city); `--only gossip|sync|attack` runs that network section and builds no city here
 * (`--attack-nodes A`: the attack section's network, default 20).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { World } from '../../src/node/sim/world.ts';
import { Ledger } from '../../src/core/ledger/ledger.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { decodeBlock, type Block } from '../../src/core/codec/block.ts';
import { diagnosisBlock, notificationBlock } from '../../src/core/blocks.ts';
import { proveDays, openTraceBatch } from '../../src/core/sealing.ts';
import { decodeTraceBatch } from '../../src/core/codec/records.ts';
import { solve } from '../../src/core/solver.ts';
import { equirectMetres } from '../../src/core/geo.ts';
import { buildTagSet, riceParameterFor } from '../../src/core/tagset.ts';
import { DEFAULT_POLICY, type Policy } from '../../src/core/policy.ts';
import { Prng } from '../../src/core/prng.ts';
import { Chain } from '../../src/core/types.ts';
import { DAY, makeCity, sealCity } from './city.ts';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
/** The value after `name`: undefined when the flag is absent, '' when it is the last argument. */
const flag = (name: string): string | undefined => (argv.includes(name) ? (argv[argv.indexOf(name) + 1] ?? '') : undefined);
/** `v`, the value of flag `name`, as an integer ≥ min; throws otherwise. */
function int(name: string, v: string, min: number): number {
  const n = Number(v);
  if (v === '' || !Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}`);
  return n;
}
const PROTOCOL = ['ingest', 'solver', 'notify'];
const NETWORK = ['gossip', 'sync', 'attack'];
const MATCH = ['match'];
const only = flag('--only') ?? '';
if (only && !PROTOCOL.includes(only) && !NETWORK.includes(only) && !MATCH.includes(only)) throw new Error(`--only must be one of ${[...PROTOCOL, ...NETWORK, ...MATCH].join(', ')}`);
const MATCH_USERS = int('--match-users', flag('--match-users') ?? '600', 50);
const MATCH_SEEDS = (flag('--match-seeds') ?? '7,11,17,31,37').split(',').map((v) => int('--match-seeds', v.trim(), 0));
const N = int('--users', flag('--users') ?? '100000', 1000);
// The network flags, as gossip.ts names them. Checked here as well as there, so that a bad one
// fails before minutes of protocol benchmarks rather than after.
const networkArgs: string[] = [];
for (const [ours, theirs, min] of [['--nodes', '--nodes', 20], ['--city-users', '--users', 100], ['--seed', '--seed', 0], ['--attack-nodes', '--attack-nodes', 20]] as const) {
  const v = flag(ours);
  if (v !== undefined) networkArgs.push(theirs, String(int(ours, v, min)));
}

function emit(name: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  const o = { name, value: Math.abs(value) >= 1 ? Math.round(value * 1000) / 1000 : Number(value.toPrecision(4)), unit, ...extra };
  if (json) process.stdout.write(`${JSON.stringify(o)}\n`);
  else process.stdout.write(`${name.padEnd(40)} ${String(o.value).padStart(14)} ${unit}${'target' in extra ? `   (target ${extra.target}: ${extra.ok ? 'ok' : 'MISSED'})` : ''}${extra.note ? `   — ${extra.note}` : ''}\n`);
}
const log = (m: string) => process.stderr.write(`· ${m}\n`);
const now = () => performance.now();

/** The protocol core's figures: seals a city of N users, then the sections `only` selects. */
async function protocolBench(): Promise<void> {
  // Bench policy: proof-of-work of 4 bits so generating 100k batches takes seconds; verification
  // cost (one SHA-256) does not depend on the difficulty.
  const policy: Policy = { ...DEFAULT_POLICY, pow: { ...DEFAULT_POLICY.pow, traceBits: 4 } };
  const w = await World.create({ crypto: c, startMs: (DAY + 1) * 86_400_000 + 3_600_000, policy });
  const { epoch, publicKey: epochPub } = await w.ensureEpoch(DAY);

  log(`city of ${N} users, 28 stays each`);
  const city = makeCity(N, 7, c);
  let t = now();
  const blocks = sealCity(c, city, { epoch, epochPub, timeSec: w.timeSec() - 600, powBits: policy.pow.traceBits, region: w.region });
  const sealMs = now() - t;
  // A node never holds the city's plaintext: keep only what the benchmark needs (the keys, to prove
  // possession for diagnoses) so GC work does not inflate the ingest and solver figures.
  const keys = city.keys;
  (city as { stays: unknown }).stays = [];
  emit('seal.batches_per_s_per_core', N / (sealMs / 1000), 'batches/s', { note: 'device side: derive keys, seal 28 stays, mine 4 bits, sign (node:crypto)' });
  emit('upload.bytes_per_user_day', blocks[0].length, 'bytes', { target: '≤ 1000', ok: blocks[0].length <= 1000, note: '28 stays padded to 32, sealed, signed, with proof-of-work nonce' });

  // Ingest: every acceptance rule, signature verification included.
  if (!only || only === 'ingest') {
    const ledger = new Ledger({ crypto: c, store: new MemoryStore(), rootKey: w.root.publicKey, region: w.region, now: () => w.nowMs, carries: [Chain.TRACING, Chain.NOTIFICATION] });
    for (const e of w.ledger.entries(Chain.NOTIFICATION)) await ledger.add((await w.ledger.get(e.id))!);
    const M = Math.min(N, 30_000);
    t = now();
    for (let i = 0; i < M; i++) {
      const r = await ledger.add(blocks[i]);
      if (r.status !== 'added') throw new Error(`batch ${i} not added: ${r.status}`);
    }
    const rate = M / ((now() - t) / 1000);
    emit('ingest.batches_per_s_per_core', rate, 'batches/s', { target: '≥ 8000', ok: rate >= 8000, note: `${M} batches: decode, id, rules, proof-of-work, Ed25519 verify, store (memory)` });
  }

  // Solver: P patients diagnosed (possession proofs), everybody matched.
  const decoded: { id: Uint8Array; block: Block }[] = blocks.map((b) => ({ id: c.sha256(b), block: decodeBlock(b) }));
  function cases(p: number, seed: number): { id: Uint8Array; block: Block }[] {
    const r = new Prng(seed);
    const picked = r.shuffle(Array.from({ length: N }, (_, i) => i)).slice(0, p);
    return picked.map((u) => {
      const challenge = c.randomBytes(32);
      const endorsed = proveDays(keys[u], [DAY], w.diagnostician.publicKey, challenge);
      const b = diagnosisBlock(c, w.diagnostician, { region: w.region, timeSec: w.timeSec(), epoch, epochPub, onset: DAY, lookback: 1, challenge, endorsed });
      return { id: c.sha256(b), block: decodeBlock(b) };
    });
  }
  function runSolver(p: number): { ms: number; stays: number; tags: number; sets: number } {
    const input = [...decoded, ...cases(p, p)];
    const t0 = now();
    const out = solve({ crypto: c, policy, epochKeys: w.epochKeys, blocks: input });
    return { ms: now() - t0, stays: out.stats.stays, tags: out.stats.tags, sets: out.notifications.length };
  }
  let base: ReturnType<typeof runSolver> | undefined;
  if (!only || only === 'solver') {
    const P = Math.max(10, Math.round(N / 1000));
    log(`solver with ${P} patients`);
    runSolver(P); // warm-up
    base = runSolver(P);
    const rps = base.stays / (base.ms / 1000);
    emit('solver.records_per_s_per_core', rps, 'stays/s', { target: '≥ 500000', ok: rps >= 500_000, note: `${base.stays} stays of ${N} user-days, ${P} patients: decrypt (1 X25519 per user-day), index, match, tags (${base.tags} tags); ${Math.round(base.ms)} ms` });
    log(`solver with ${10 * P} patients`);
    const ten = runSolver(10 * P);
    const ratio = ten.ms / base.ms;
    emit('solver.patients_10x_time_ratio', ratio, 'ratio', { target: '< 1.5', ok: ratio < 1.5, note: `${P} → ${10 * P} patients: ${Math.round(base.ms)} → ${Math.round(ten.ms)} ms` });

    // Naive: decrypt, then every user stay against every patient stay. Subsampled and scaled.
    const S = Math.min(N, 2_000);
    const kp = w.epochKeys.get(epoch)!;
    // the same patients as the solver run above
    const picked = new Prng(P).shuffle(Array.from({ length: N }, (_, i) => i)).slice(0, P);
    // patients' stays, opened from their batches as the solver does
    const pStays = picked.flatMap((u) => openTraceBatch(c, kp.secretKey, kp.publicKey, decodeTraceBatch(decoded[u].block.body))!.stays);
    const sample = new Prng(99).shuffle(Array.from({ length: N }, (_, i) => i)).slice(0, S);
    const t1 = now();
    let hits = 0;
    for (const u of sample) {
      const o = openTraceBatch(c, kp.secretKey, kp.publicKey, decodeTraceBatch(decoded[u].block.body))!;
      let minutes = 0;
      for (const s of o.stays) {
        for (const p of pStays) {
          const a = Math.max(s.start, p.start);
          const b = Math.min(s.start + s.minutes, p.start + p.minutes);
          if (b > a && equirectMetres(s.latE7, s.lonE7, p.latE7, p.lonE7) <= 20) minutes += b - a;
        }
      }
      if (minutes) hits++;
    }
    const naiveMs = ((now() - t1) * N) / S;
    emit('solver.vs_naive_speedup', naiveMs / base.ms, 'x', { note: `all-pairs (decrypt + every user stay × ${pStays.length} patient stays) timed on ${S} of ${N} user-days and scaled ×${N / S}: ${Math.round(naiveMs)} ms vs ${Math.round(base.ms)} ms; ${hits} sampled user-days touched` });
  }

  // Notification chain at the paper's load: 10,000 cases a day, 14 days each, 15 people at risk per
  // patient place → 2.1 M tags a day (paper: 16 B a tag = 33.6 MB/day). Solver runs 4× a day; each
  // run publishes one set per (exposure day, level) for the 14 days back.
  if (!only || only === 'notify') {
    const runsPerDay = 4;
    const levels = 2;
    const tagsPerDay = 10_000 * 14 * 15;
    const setsPerDay = runsPerDay * 14 * levels;
    const perSet = Math.round(tagsPerDay / setsPerDay);
    const fp = policy.notification.falseAlarmPerUserDay / policy.notification.setsPerExposureDay;
    const P = riceParameterFor(fp);
    log(`notification chain: ${setsPerDay} sets of ${perSet} tags, P = ${P}`);
    const r = new Prng(3);
    let bytes = 0;
    let tags = 0;
    for (let s = 0; s < setsPerDay; s++) {
      const set = buildTagSet(c, Array.from({ length: perSet }, () => r.bytes(32)), r.bytes(16), P);
      bytes += notificationBlock(c, w.solver, { exposureDay: DAY, level: 1 + (s % 2), P: set.P, n: set.n, salt: set.salt, data: set.data }, { region: w.region, timeSec: w.timeSec(), parents: w.ledger.tips(Chain.NOTIFICATION) }).length;
      tags += set.n;
    }
    const paper = 33.6e6;
    emit('notify.bytes_per_user_day', bytes, 'bytes', { target: `≤ ${paper / 4} (¼ of the paper's 33.6 MB)`, ok: bytes <= paper / 4, note: `${tags} tags in ${setsPerDay} signed blocks, ${(bytes / tags).toFixed(2)} B/tag, P = ${P}` });
    // A user-day's tag meets every set of its exposure day: runs/day × retention days × levels of them.
    const setsPerExposureDay = runsPerDay * policy.retentionDays * levels;
    const falseAlarm = setsPerExposureDay * 2 ** -P;
    emit('notify.false_alarm_per_user_day', falseAlarm, 'probability', { target: '< 1e-6', ok: falseAlarm < 1e-6, note: `${setsPerExposureDay} sets per exposure day × 2^-${P}` });
  }
}

/**
 * The network figures: test/bench/gossip.ts in a child process (it is also a script of its own,
 * `npm run bench:gossip`), run with this process's Node flags (the TypeScript loader) and sharing
 * its stdout, so its lines follow ours. Returns its exit code.
 */
function networkBench(): number {
  const script = fileURLToPath(new URL('./gossip.ts', import.meta.url));
  const args = [...process.execArgv, script, ...(json ? ['--json'] : []), ...(only ? ['--only', only] : []), ...networkArgs];
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (r.error) throw r.error;
  return r.status ?? 1; // killed by a signal: no status
}

/**
 * Matching accuracy (issue 10): `beeptrace sim` towns of `--match-users` (default 600) users, 2
 * days, 8 diagnosed, one per seed of `--match-seeds`, at each location precision and with users
 * mixing exact and 10 m; precision and recall of high-risk and of any-exposure user-days against
 * the exact per-minute computation. `match.<precision>.<high|any>.<precision|recall>` is the worst
 * seed's figure; its note lists every seed's.
 */
async function matchBench(): Promise<void> {
  const { simulate } = await import('../../src/node/sim/run.ts');
  const { City } = await import('../../src/node/sim/mobility.ts');
  const { Precision } = await import('../../src/core/types.ts');
  const firstDay = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000);
  const runs: [string, (0 | 1 | 2) | (0 | 1 | 2)[]][] = [['exact', Precision.EXACT], ['10m', Precision.M10], ['mixed', [Precision.EXACT, Precision.M10]], ['100m', Precision.M100]];
  for (const [name, precision] of runs) {
    type Score = { precision: number; recall: number; truePositives: number; falsePositives: number; falseNegatives: number };
    const bySeed: { seed: number; high: Score; any: Score }[] = [];
    for (const seed of MATCH_SEEDS) {
      log(`match: town of ${MATCH_USERS} users at ${name}, seed ${seed}`);
      const pop = new City({ users: MATCH_USERS, days: 2, seed, firstDay });
      const infected = new Prng(seed ^ 0x1f).shuffle([...pop.names]).slice(0, 8);
      const s = (await simulate(pop, { infected, crypto: c, seed, precision })).stats;
      bySeed.push({ seed, high: s.high, any: s.any });
    }
    for (const level of ['high', 'any'] as const) {
      for (const m of ['precision', 'recall'] as const) {
        const worst = Math.min(...bySeed.map((r) => r[level][m]));
        const seeds = bySeed.map((r) => `${r.seed}: ${r[level][m]} (tp ${r[level].truePositives}, fp ${r[level].falsePositives}, fn ${r[level].falseNegatives})`).join('; ');
        const note = `worst of ${MATCH_USERS}-user towns, 2 days, 8 diagnosed, seeds ${seeds}`;
        if (name === '100m') emit(`match.${name}.${level}.${m}`, worst, 'ratio', { note: `${note}; a 10 m rule cannot be decided on a 100 m grid (no target)` });
        else emit(`match.${name}.${level}.${m}`, worst, 'ratio', { target: '≥ 0.95', ok: worst >= 0.95, note });
      }
    }
  }
}

if (!only || PROTOCOL.includes(only)) await protocolBench();
if (!only || MATCH.includes(only)) await matchBench();
if (!only || NETWORK.includes(only)) process.exitCode = networkBench();
