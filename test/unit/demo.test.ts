/**
 * `beeptrace start --demo` (src/node/start/demo.ts): the stack with a small, fast-paced town —
 * its diagnoses reach the solver node (a child process on the mesh), whose notifications reach
 * the authority's node; the flags; the town around the chosen place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack } from '../../src/node/start/stack.ts';
import { parseStartArgs } from '../../src/node/start/command.ts';
import { parsePlace } from '../../src/node/start/demo.ts';
import { City } from '../../src/node/sim/mobility.ts';
import { decodeBlock, Kind } from '../../src/core/codec/block.ts';
import { toHex } from '../../src/core/bytes.ts';
import { DEFAULT_POLICY } from '../../src/core/policy.ts';
import { Chain } from '../../src/core/types.ts';
import { until } from '../e2e/harness.ts';

test('the stack with --demo publishes real trace batches and diagnoses; the solver on the mesh answers with notifications', { timeout: 200_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'bt-demo-'));
  const dist = await mkdtemp(join(tmpdir(), 'bt-demo-dist-'));
  const lines: string[] = [];
  const stack = await startStack({
    dataDir, port: 0, distDir: dist, policy: { ...DEFAULT_POLICY, maxSkewSeconds: 10 }, ticks: { solver: 1, validator: 30 },
    demo: { residents: 30, paceMs: 150, uploadsPerStep: 30, caseEvery: 1, maxCases: 3, place: { lat: 52.52, lon: 13.405 } },
    log: (l) => lines.push(l),
  });
  try {
    const ledger = stack.authority.ledger;
    const kinds = () => ledger.entries(Chain.TRACING).concat(ledger.entries(Chain.NOTIFICATION)).map((e) => e.kind);
    await until(() => kinds().filter((k) => k === Kind.DIAGNOSIS).length >= 3, 'three demo diagnoses', 60_000, 100);
    assert.ok(kinds().filter((k) => k === Kind.TRACE_BATCH).length >= 30, 'every resident uploaded');
    // Notifications are made by the solver child process from the diagnoses it received over the
    // mesh, and reach the authority's node over the mesh again.
    const solver = toHex(stack.authority.keys.solver.publicKey);
    const note = await until(async () => {
      for (const e of ledger.entries(Chain.NOTIFICATION)) {
        if (e.kind !== Kind.NOTIFICATION) continue;
        const b = decodeBlock((await ledger.get(e.id))!);
        if (b.signer && toHex(b.signer) === solver) return b;
      }
      return null;
    }, 'a notification from the solver node', 90_000, 200);
    assert.equal(note.kind, Kind.NOTIFICATION);
    const diag = ledger.entries(Chain.TRACING).find((e) => e.kind === Kind.DIAGNOSIS)!;
    assert.equal(toHex(decodeBlock((await ledger.get(diag.id))!).signer!), toHex(stack.authority.keys.diagnostician.publicKey), 'endorsed by the local clinic');
    assert.ok(lines.some((l) => /demo: case 1 of 3/.test(l)), 'progress in the log');
    assert.equal(stack.demo?.stats.cases, 3);
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(dist, { recursive: true, force: true });
  }
  const after = stack.demo!.stats.batches;
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(stack.demo!.stats.batches, after, 'nothing published after stop');
});

test('--demo and --place: parsed, checked, and --place needs --demo', () => {
  assert.deepEqual(parseStartArgs(['--demo']).demo, { place: undefined });
  assert.deepEqual(parseStartArgs(['--demo', '--place', '52.52, 13.405']).demo, { place: { lat: 52.52, lon: 13.405 } });
  assert.equal(parseStartArgs([]).demo, undefined);
  assert.throws(() => parseStartArgs(['--place', '1,2']), /--place .* give --demo too/);
  for (const bad of ['52.52', '91,0', '0,181', 'Berlin', '1,2,3']) assert.throws(() => parsePlace(bad), /--place must be "lat,lon"/, bad);
});

test('the town lies around the chosen place', () => {
  const city = new City({ users: 20, days: 1, seed: 1, firstDay: 20_000, centre: { lat: -33.87, lon: 151.21 } });
  const fixes = city.events(0).filter((e) => e.kind === 'fix');
  assert.ok(fixes.length > 0);
  for (const f of fixes) assert.ok(Math.abs(f.lat + 33.87) < 0.05 && Math.abs(f.lon - 151.21) < 0.1, `${f.lat},${f.lon} near Sydney`);
});
