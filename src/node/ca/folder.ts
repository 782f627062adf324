/**
 * Where an authority's folder lives. By default outside any checkout: `BEEPTRACE_CA_DIR`, else
 * `$XDG_DATA_HOME/beeptrace/ca` (`~/.local/share/beeptrace/ca`). A folder inside a git work tree
 * is used when asked for, with a warning: one `git add -A` would put the root key and the
 * authority's record into the repository.
 *
 * @example
 * const dir = caDir(values.data); // the flag, or the default
 * const repo = insideCheckout(dir); // '/home/me/beeptrace' or null
 * @module
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** The default authority folder. @example defaultCaDir({ HOME: '/home/me' }) === '/home/me/.local/share/beeptrace/ca' */
export function defaultCaDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BEEPTRACE_CA_DIR) return resolve(env.BEEPTRACE_CA_DIR);
  const data = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return resolve(data, 'beeptrace', 'ca');
}

/** `--data DIR` if given, else the default. @example caDir(undefined) === defaultCaDir() */
export function caDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag !== undefined && flag !== '' ? resolve(flag) : defaultCaDir(env);
}

/** The git work tree that holds `dir` (a folder with `.git` above it), or null. @example insideCheckout('/srv/ca') === null */
export function insideCheckout(dir: string): string | null {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return null;
  }
}
