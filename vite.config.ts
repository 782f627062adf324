import { defineConfig, type Plugin, type ResolvedConfig } from 'vite';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Files the service worker must not precache: the configuration is fetched network-first, maps are for debugging. */
const NOT_PRECACHED = [/\.map$/, /^config\.json$/, /^sw\.js$/];
/** Emitted names that carry a content hash need no revision. */
const HASHED = /[.-][A-Za-z0-9_-]{8,}\.(js|css|wasm|svg|png|woff2?)$/;

function publicFiles(dir: string): string[] {
  let out: string[] = [];
  let names: string[];
  try { names = readdirSync(dir); } catch { return out; }
  for (const n of names) {
    const p = join(dir, n);
    out = statSync(p).isDirectory() ? out.concat(publicFiles(p)) : out.concat(p);
  }
  return out;
}

/**
 * Builds src/app/sw.ts as a second entry (dist/sw.js, one self-contained script) and writes the
 * precache list into its `self.__WB_MANIFEST`: every emitted file and every public file except
 * those in NOT_PRECACHED, with a content revision for names that carry no hash. Replaces
 * vite-plugin-pwa (whose dependencies break `npm ci` across platforms: TOOLCHAIN.md).
 */
function serviceWorker(): Plugin {
  let cfg: ResolvedConfig;
  const md5 = (b: string | Uint8Array) => createHash('md5').update(b).digest('hex');
  return {
    name: 'beeptrace-service-worker',
    apply: 'build',
    enforce: 'post',
    config: () => ({
      build: {
        rolldownOptions: {
          input: { index: 'index.html', sw: 'src/app/sw.ts' },
          output: { entryFileNames: (c: { name: string }) => (c.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js') },
        },
      },
    }),
    configResolved(c) { cfg = c; },
    generateBundle(_, bundle) {
      const sw = bundle['sw.js'];
      if (!sw || sw.type !== 'chunk') throw new Error('service worker entry sw.js was not emitted');
      const entries = new Map<string, string | null>();
      for (const f of Object.values(bundle)) {
        if (NOT_PRECACHED.some((r) => r.test(f.fileName))) continue;
        entries.set('/' + f.fileName, HASHED.test(f.fileName) ? null : md5(f.type === 'chunk' ? f.code : f.source));
      }
      if (cfg.publicDir) {
        for (const p of publicFiles(cfg.publicDir)) {
          const name = relative(cfg.publicDir, p).split(sep).join('/');
          if (!NOT_PRECACHED.some((r) => r.test(name))) entries.set('/' + name, md5(readFileSync(p)));
        }
      }
      const manifest = JSON.stringify([...entries].map(([url, revision]) => ({ url, revision })));
      if (!sw.code.includes('self.__WB_MANIFEST')) throw new Error('sw.js does not reference self.__WB_MANIFEST');
      // Registered as a classic script (every engine supports those), so it must be one self-contained file.
      if (/\bimport\s*[{*"'(]|\bimport\s+\w|\bexport\s*[{*]|\bexport\s+(const|let|var|function|class|default)\b/.test(sw.code)) {
        throw new Error('sw.js imports or exports a module: it must bundle into one classic script');
      }
      sw.code = sw.code.replace('self.__WB_MANIFEST', manifest);
      // Its source map no longer matches the rewritten code: ship none for the service worker.
      sw.code = sw.code.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n');
      delete bundle['sw.js.map'];
    },
  };
}

/**
 * The CA root key to compile into the app (docs/DEPLOY.md §3): `BEEPTRACE_ROOT_KEY=<64 hex> npm
 * run build`. The app then refuses a /config.json that names another key. Empty: no key compiled in.
 */
function rootKeyPin(): string {
  const k = (process.env.BEEPTRACE_ROOT_KEY ?? '').trim().toLowerCase();
  if (k && !/^[0-9a-f]{64}$/.test(k)) throw new Error(`BEEPTRACE_ROOT_KEY must be the CA root key, 64 hexadecimal characters (beeptrace ca status), got "${k}"`);
  return k;
}

export default defineConfig({
  plugins: [serviceWorker()],
  define: { __BEEPTRACE_ROOT_KEY__: JSON.stringify(rootKeyPin()) },
  resolve: {
    // simple-peer's package entry needs Node's `global`; its browser build does not (TOOLCHAIN.md).
    alias: { 'simple-peer': 'simple-peer/simplepeer.min.js' },
  },
  worker: { format: 'es' },
  optimizeDeps: {
    // The dev server (the e2e tests run on it) pre-bundles the dependencies it finds from these files
    // before it serves anything. Its default, every HTML file, does not follow `new Worker(new URL(…))`:
    // @noble/hashes/scrypt.js, which only the engine's worker imports, was found when the worker
    // first loaded, and the new pre-bundle reloaded the page and could fail the worker's load
    // ("optimized dependencies changed. reloading"; on a fresh clone, a CI failure in elder.test).
    entries: ['**/*.html', 'src/app/worker.ts', 'test/e2e/pages/worker-entry.ts'],
  },
  build: { target: 'es2022', outDir: 'dist', sourcemap: true },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
