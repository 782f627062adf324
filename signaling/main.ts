/**
 * CLI: `npm run signaling -- [--port N] [--host ADDR] [--log] …` (see `--help`).
 *
 * Prints one line with the WebSocket URL once listening. Exit status: 0 after SIGINT/SIGTERM
 * (clients are closed with 1001), 1 if the port cannot be bound, 2 for a bad flag or variable.
 *
 * @example
 * // $ BEEPTRACE_SIGNAL_PORT=9000 npm run signaling
 * // BeepTrace signaling server listening on ws://127.0.0.1:9000/ (health: http://127.0.0.1:9000/health)
 */
import { parseSignalingArgs, USAGE, UsageError } from './config.ts';
import { startSignalingServer } from './server.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = parseSignalingArgs(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`signaling: ${err.message}\n(run with --help for the flags)\n`);
    process.exit(2);
  }
  if (config.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const log = config.log ? (e: object) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`) : undefined;
  let server;
  try {
    server = await startSignalingServer({ ...config.options, log });
  } catch (err) {
    process.stderr.write(`signaling: ${(err as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(`BeepTrace signaling server listening on ${server.url} (health: ${server.url.replace(/^ws/, 'http')}health)\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1); // a second signal: give up waiting
    stopping = true;
    process.stderr.write(`signaling: ${signal}, closing connections\n`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

await main();
