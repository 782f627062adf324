#!/usr/bin/env node
// The `beeptrace` command (src/node/cli.ts).
//
// Production runs the compiled JavaScript in build/node (`npm run build`): no TypeScript at run
// time and nothing written at start, so a read-only tree with a private /tmp works. Without that
// build — a fresh checkout, `npm install && npm start` — or when a source is newer than it, the
// TypeScript sources run through tsx, registered in this process (one process: `kill $!` stops it).
//   BEEPTRACE_RUNTIME=compiled  never fall back to tsx: exit 2 if build/node is missing or stale
//                               (the production units and containers set it)
//   BEEPTRACE_RUNTIME=tsx       always run the sources
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = join(root, 'build', 'node', 'src', 'node', 'cli.js');
const runtime = process.env.BEEPTRACE_RUNTIME ?? '';

/** Why build/node is older than the sources beside it (null: it is not, or there are no sources). */
function stale() {
  let built;
  try {
    built = JSON.parse(readFileSync(join(root, 'build', 'node', 'build.json'), 'utf8'));
  } catch {
    return 'build/node/build.json is missing';
  }
  let files = 0;
  let newest = 0;
  const walk = (p) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) {
      files++;
      newest = Math.max(newest, st.mtimeMs);
    }
  };
  for (const s of built.sources) walk(join(root, s));
  if (!files) return null; // an install of the compiled tree alone
  if (newest > built.newestSourceMs) return 'a source file is newer than build/node';
  if (files !== built.files) return `the sources are ${files} files, build/node was made from ${built.files}`;
  return null;
}

let entry;
if (runtime !== 'tsx') {
  const why = existsSync(compiled) ? stale() : 'there is no build/node';
  if (!why) entry = compiled;
  else if (runtime === 'compiled') {
    process.stderr.write(`beeptrace: BEEPTRACE_RUNTIME=compiled but ${why}: run npm run build\n`);
    process.exit(2);
  }
}
if (!entry) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = join(root, 'src', 'node', 'cli.ts');
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
