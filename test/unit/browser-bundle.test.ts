/**
 * The browser side of the skeleton: src/core and the idb store bundle for browsers with no Node
 * module in the graph, and the device seed persists in the store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { nobleCrypto } from '../../src/core/crypto.ts';
import { loadDevice } from '../../src/app/device.ts';

test('the page bundles for browsers without any Node built-in', async () => {
  const out = mkdtempSync(join(tmpdir(), 'beeptrace-build-'));
  try {
    await build({ logLevel: 'silent', build: { outDir: out, emptyOutDir: true, sourcemap: false } });
    const js = readdirSync(join(out, 'assets')).filter((f) => f.endsWith('.js'));
    assert.equal(js.length >= 1, true);
    const code = js.map((f) => readFileSync(join(out, 'assets', f), 'utf8')).join('\n');
    assert.doesNotMatch(code, /from\s*["']node:|require\(["'](fs|crypto|path)["']\)/);
    // The core (keys, ledger) runs in the engine Worker (src/app/worker.ts), not in the page's entry.
    const worker = js.filter((f) => /^worker-.*\.js$/.test(f));
    assert.equal(worker.length, 1, 'the engine worker is bundled');
    const workerCode = readFileSync(join(out, 'assets', worker[0]), 'utf8');
    assert.match(workerCode, /BeepTrace\/pseudonym\/v1/, 'the key schedule is in the worker');
    assert.doesNotMatch(workerCode, /RTCPeerConnection/, 'no WebRTC in the worker (it has none): the page keeps the links');
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const entry = /src="\/assets\/([^"]+\.js)"/.exec(html)?.[1];
    assert.ok(entry, 'index.html loads an entry script');
    assert.doesNotMatch(readFileSync(join(out, 'assets', entry!), 'utf8'), /BeepTrace\/pseudonym\/v1/, 'the page entry does not carry the key schedule');
    assert.doesNotMatch(readFileSync(join(out, 'sw.js'), 'utf8'), /from\s*["']node:/);
    assert.match(readFileSync(join(out, 'index.html'), 'utf8'), /manifest\.webmanifest/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the device seed is created once and kept; the pseudonym changes each day', async () => {
  const store = new MemoryStore();
  const t = Date.UTC(2026, 2, 2, 12);
  const a = await loadDevice(store, nobleCrypto, t);
  const b = await loadDevice(store, nobleCrypto, t + 3_600_000);
  assert.equal(b.created, t);
  assert.equal(a.pseudonymToday(t), b.pseudonymToday(t + 3_600_000));
  assert.notEqual(a.pseudonymToday(t), a.pseudonymToday(t + 86_400_000));
  assert.match(a.pseudonymToday(t), /^[0-9a-f]{32}$/);
  const other = await loadDevice(new MemoryStore(), nobleCrypto, t);
  assert.notEqual(other.pseudonymToday(t), a.pseudonymToday(t));
});
