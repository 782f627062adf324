/**
 * The app's first-load JavaScript: build with Vite's JS API into a temporary folder (with the build
 * manifest), then take the entry chunk of index.html and every chunk it imports statically,
 * transitively (what the browser fetches, or modulepreloads, before the first paint). Dynamic
 * imports are excluded: they load after. Each chunk is gzipped at level 9 and the sizes summed.
 */
import { build, type Manifest } from 'vite';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Build the app (the project's vite.config.ts) into a fresh temporary folder; returns that folder.
 *
 * @example
 * const dir = await buildApp(); // /tmp/beeptrace-audit-XXXX, with .vite/manifest.json
 */
export async function buildApp(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'beeptrace-audit-'));
  await build({ logLevel: 'error', build: { outDir, emptyOutDir: true, manifest: true, sourcemap: false } });
  return outDir;
}

/**
 * The files (relative to the build folder) that load with index.html: the entry chunk and its
 * static imports, transitively, in load order.
 *
 * @example
 * firstLoadChunks(JSON.parse(readFileSync(dir + '/.vite/manifest.json', 'utf8'))) // ['assets/index-abc.js', …]
 */
export function firstLoadChunks(manifest: Manifest, entry = 'index.html'): string[] {
  const root = manifest[entry];
  if (!root?.isEntry) throw new Error(`the build manifest has no entry "${entry}" (entries: ${Object.keys(manifest).filter((k) => manifest[k].isEntry).join(', ')})`);
  const seen = new Set<string>();
  const files: string[] = [];
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    const chunk = manifest[key];
    if (!chunk) throw new Error(`the build manifest names a missing chunk "${key}"`);
    if (chunk.file.endsWith('.js')) files.push(chunk.file);
    for (const k of chunk.imports ?? []) visit(k);
  };
  visit(entry);
  return files;
}

/**
 * Gzipped (level 9) size of each first-load chunk of a build folder, and the sum.
 *
 * @example
 * const { total } = firstLoadGzip(await buildApp()); // bytes
 */
export function firstLoadGzip(dir: string): { total: number; files: { file: string; gz: number }[] } {
  const manifest = JSON.parse(readFileSync(join(dir, '.vite', 'manifest.json'), 'utf8')) as Manifest;
  const files = firstLoadChunks(manifest).map((file) => ({ file, gz: gzipSync(readFileSync(join(dir, file)), { level: 9 }).length }));
  return { total: files.reduce((s, f) => s + f.gz, 0), files };
}
