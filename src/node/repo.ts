/**
 * Where the checkout (or the installed package) is: the folder with package.json and
 * bin/beeptrace.js above this module. The same from the TypeScript sources (src/node/) and from
 * the compiled tree (build/node/src/node/), so paths to dist/, bin/ and package.json hold in both.
 * @example join(REPO_ROOT, 'dist')
 * @module
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let d = from; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'bin', 'beeptrace.js'))) return d;
    if (dirname(d) === d) throw new Error(`no package.json with bin/beeptrace.js above ${from}`);
  }
}

/** The checkout's root, with a trailing separator. @example join(REPO_ROOT, 'package.json') */
export const REPO_ROOT = join(findRoot(dirname(fileURLToPath(import.meta.url))), '/');
