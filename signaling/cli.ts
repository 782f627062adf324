/**
 * The signaling server's command line, shared by `beeptrace signaling` (src/node/cli.ts) and
 * `signaling/main.ts`: `[--port N] [--host ADDR] [--log] …` (see `--help`).
 *
 * Prints one line with the WebSocket URL once listening (with its UTC time, as every line it
 * writes). Resolves with the exit status: 0 after SIGINT/SIGTERM (clients are closed with 1001),
 * 1 if the port cannot be bound, 2 for a bad flag or variable.
 *
 * @example
 * process.exitCode = await signalingMain(process.argv.slice(2));
 * // 2026-03-02T09:40:00.000Z BeepTrace signaling server listening on ws://127.0.0.1:8787/ (health: http://127.0.0.1:8787/health)
 * @module
 */
import { parseSignalingArgs, USAGE, UsageError } from './config.ts';
import { startSignalingServer } from './server.ts';

const stamp = (m: string) => `${new Date().toISOString()} ${m}\n`;

/** Run the signaling server until SIGINT/SIGTERM; resolves with the exit status. @example await signalingMain(['--port', '8787']) */
export async function signalingMain(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let config;
  try {
    config = parseSignalingArgs(argv, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`signaling: ${err.message}\n(run with --help for the flags)\n`);
    return 2;
  }
  if (config.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const log = config.log ? (e: object) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`) : undefined;
  let server;
  try {
    server = await startSignalingServer({ ...config.options, log });
  } catch (err) {
    process.stderr.write(stamp(`signaling: ${(err as Error).message}`));
    return 1;
  }
  process.stdout.write(stamp(`BeepTrace signaling server listening on ${server.url} (health: ${server.url.replace(/^ws/, 'http')}health)`));
  const s = server;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return resolve(1); // a second signal: give up waiting
      stopping = true;
      process.stderr.write(stamp(`signaling: ${signal}, closing connections`));
      s.close().then(() => resolve(0), () => resolve(1));
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
