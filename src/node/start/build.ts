/**
 * Builds the app for `beeptrace start` when the build is missing or stale: any file under src/
 * (but src/node, which is not part of the app), public/, index.html or vite.config.ts newer than
 * dist/index.html. Runs `vite build` through
 * Vite's JS API (no shell, no npx).
 *
 * @example
 * const r = await ensureBuilt(repoRoot, (m) => console.log(m)); // { built: true, reason: 'no build yet' }
 * @module
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { InputError } from '../../core/errors.ts';

const require = createRequire(import.meta.url);

/** What goes into the build. @example BUILD_INPUTS.includes('index.html') */
export const BUILD_INPUTS = ['src', 'public', 'index.html', 'vite.config.ts'];

/** Not in the app's bundle: changes here need no new build. */
const NOT_APP = new Set(['src/node']);

/** Newest modification time (ms) of a file or folder tree; 0 if it does not exist. @example await newestMtime('src') */
export async function newestMtime(path: string, skip: (p: string) => boolean = () => false): Promise<number> {
  if (skip(path)) return 0;
  let st;
  try {
    st = await stat(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of await readdir(path)) newest = Math.max(newest, await newestMtime(join(path, e), skip));
  return newest;
}

/** Why the app in `root` needs a build, or null if dist/ is current. @example await staleReason('.') */
export async function staleReason(root: string, outDir = join(root, 'dist')): Promise<string | null> {
  const index = join(outDir, 'index.html');
  if (!existsSync(index)) return 'no build yet';
  const built = (await stat(index)).mtimeMs;
  for (const input of BUILD_INPUTS) {
    const skip = (p: string) => NOT_APP.has(relative(root, p).split(sep).join('/'));
    if ((await newestMtime(join(root, input), skip)) > built) return `${input} changed since the last build`;
  }
  return null;
}

/** Build the app with Vite if it is missing or stale. @example await ensureBuilt(REPO_ROOT, console.log) */
export async function ensureBuilt(root: string, log: (m: string) => void): Promise<{ built: boolean; reason: string | null }> {
  const reason = await staleReason(root);
  if (!reason) return { built: false, reason };
  log(`building the app (${reason}) …`);
  // Vite's JS API, in a child process: the build leaves worker handles behind that would keep
  // `beeptrace start` from exiting after Ctrl-C, and its memory is returned at once.
  const script = `const { build } = await import(${JSON.stringify(pathToFileURL(require.resolve('vite')).href)});
await build({ root: ${JSON.stringify(root)}, configFile: ${JSON.stringify(join(root, 'vite.config.ts'))}, logLevel: 'warn', clearScreen: false });
process.exit(0);`;
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('exit', (c) => resolve(c));
    child.once('error', () => resolve(null));
  });
  if (code !== 0) throw new InputError('build', `vite build failed (exit ${code}); fix the error above, or serve the old build with --no-build`);
  return { built: true, reason };
}
