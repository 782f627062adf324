#!/usr/bin/env node
/**
 * Compiles the Node side of BeepTrace — the `beeptrace` command, full nodes, the CA, signaling,
 * and the protocol code they run (src/core, src/net, src/store, src/node, signaling, and the app's
 * config check) — to plain
 * JavaScript in build/node/, the same paths with .js, so production runs without tsx (no
 * TypeScript compiler and no cache writes at run time: a read-only tree works). `npm run build`
 * runs it after the app's build; bin/beeptrace.js uses build/node when it is there and not older
 * than the sources.
 *
 * Each file is transpiled on its own (TypeScript's transpileModule: types erased, `.ts` imports
 * rewritten to `.js`); `npm run typecheck` is the type check. Plain JavaScript on purpose: it
 * needs only node and the typescript package.
 *
 *   node scripts/build-node.mjs [--out DIR]      (default build/node)
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What the Node side runs (src/app is the browser's, built by Vite; its types are erased here). */
export const NODE_SOURCES = ['src/core', 'src/net', 'src/store', 'src/node', 'signaling', 'src/app/page/config.ts'];

function sources(dir) {
  let out = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out = out.concat(sources(p));
    else if (n.endsWith('.ts') && !n.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const argv = process.argv.slice(2);
const outIdx = argv.indexOf('--out');
const out = outIdx >= 0 ? argv[outIdx + 1] : join(ROOT, 'build', 'node');
const tmp = `${out}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
const files = NODE_SOURCES.flatMap((d) => (d.endsWith('.ts') ? [join(ROOT, d)] : sources(join(ROOT, d))));
const options = {
  target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
  rewriteRelativeImportExtensions: true, allowImportingTsExtensions: true, experimentalDecorators: true, useDefineForClassFields: false,
  verbatimModuleSyntax: false, isolatedModules: true, sourceMap: false, removeComments: false,
};
let newest = 0;
for (const f of files) {
  newest = Math.max(newest, statSync(f).mtimeMs);
  const r = ts.transpileModule(readFileSync(f, 'utf8'), { compilerOptions: options, fileName: f, reportDiagnostics: true });
  const errors = (r.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) {
    process.stderr.write(`build-node: ${relative(ROOT, f)}: ${ts.flattenDiagnosticMessageText(errors[0].messageText, '\n')}\n`);
    process.exit(1);
  }
  const target = join(tmp, relative(ROOT, f)).replace(/\.ts$/, '.js');
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, r.outputText);
}
// What bin/beeptrace.js compares with the sources' times (newer sources: the build is stale).
writeFileSync(join(tmp, 'build.json'), `${JSON.stringify({ sources: NODE_SOURCES, files: files.length, newestSourceMs: newest, typescript: ts.version }, null, 2)}\n`);
rmSync(out, { recursive: true, force: true });
mkdirSync(dirname(out), { recursive: true });
renameSync(tmp, out);
process.stdout.write(`build-node: ${files.length} files compiled into ${relative(process.cwd(), out) || out}\n`);
