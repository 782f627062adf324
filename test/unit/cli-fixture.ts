/**
 * Shared helper of the CLI tests (not a test file): run `beeptrace …` in this process with its
 * stdout and stderr captured.
 */
import { main } from '../../src/node/cli.ts';
import { io } from '../../src/node/io.ts';

/** Run the CLI in this process; stdout and stderr captured. @example const { code, out } = await runCli('ca', 'status') */
export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const saved = { ...io };
  io.out = (s) => void (out += s);
  io.err = (s) => void (err += s);
  try {
    return { code: await main(argv), out, err };
  } finally {
    Object.assign(io, saved);
  }
}
