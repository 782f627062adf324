/**
 * The signaling server as a script: `node --import tsx signaling/main.ts [--port N] …`. The
 * command line itself is signaling/cli.ts (also `beeptrace signaling`, what `npm run signaling`
 * and the production units run).
 *
 * @example
 * // $ BEEPTRACE_SIGNAL_PORT=9000 npm run signaling
 * // 2026-03-02T09:40:00.000Z BeepTrace signaling server listening on ws://127.0.0.1:9000/ (health: http://127.0.0.1:9000/health)
 */
import { signalingMain } from './cli.ts';

process.exit(await signalingMain(process.argv.slice(2)));
