/**
 * The full nodes of `beeptrace start`, each a child process
 * `node bin/beeptrace.js node --role … --data DIR --signal URL --tick N`; every line it prints is
 * passed on prefixed with its name. `stop` sends SIGTERM to each and waits for it to exit
 * (SIGKILL after a grace period). A node outlives `beeptrace start` only if that is killed with
 * SIGKILL.
 *
 * @example
 * const kid = spawnNode({ name: 'solver', args: ['--role', 'solver', …], log });
 * await kid.stop();
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { REPO_ROOT } from '../repo.ts';

/** The `beeptrace` command of this checkout. @example spawn(process.execPath, [BIN, 'node', '--help']) */
export const BIN = join(REPO_ROOT, 'bin', 'beeptrace.js');

export interface ChildNode {
  name: string;
  readonly pid: number | undefined;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  /** SIGTERM, then wait (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | string>;
  readonly child: ChildProcess;
}

/**
 * Start `beeptrace node ARGS` as a child; its output lines go to `log` as "name | line".
 * @example const n = spawnNode({ name: 'solver', args: ['--role', 'solver', '--data', dir, '--signal', url], log: console.log });
 */
export function spawnNode(o: { name: string; args: string[]; log: (line: string) => void; env?: NodeJS.ProcessEnv; onExit?: (code: number | string) => void }): ChildNode {
  // Detached: its own process group, so a Ctrl-C in the terminal reaches only `beeptrace start`,
  // which then stops each node exactly once (SIGTERM) and waits for it.
  const child = spawn(process.execPath, [BIN, 'node', ...o.args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env }, detached: true });
  // If `beeptrace start` ends without stopping it (an uncaught error), the node ends too.
  const onExit = () => child.kill('SIGTERM');
  process.once('exit', onExit);
  const pad = o.name.padEnd(12);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => o.log(`${pad}| ${line}`));
  }
  let stopping = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      process.off('exit', onExit);
      const r = code ?? signal ?? 'unknown';
      if (!stopping) o.onExit?.(r);
      resolve(r);
    });
    child.once('error', (e) => {
      o.log(`${pad}| cannot start: ${e.message}`);
      resolve('error');
    });
  });
  return {
    name: o.name,
    get pid() {
      return child.pid;
    },
    child,
    exited,
    async stop(graceMs = 10_000) {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const r = await exited;
        clearTimeout(timer);
        return r;
      }
      return exited;
    },
  };
}
