/**
 * `beeptrace node`: a Node.js full node that joins the WebRTC mesh through a signaling server,
 * carries both chains of its region on disk, and performs its role's duty on a schedule.
 *
 *   beeptrace node --role archive|validator|solver --signal ws://HOST:PORT --data DIR [--region R] [--status SECONDS]
 *
 * The node is assembled by src/net/assemble.ts (as the browser's is). It says what it does: a
 * status line every `--status` seconds, and a lost signaling server once (not on every retry).
 *
 * Configuration (CA root key, role key, epoch keys) is read from DIR/node.json (docs/NODE.md).
 * Stops cleanly on SIGINT / SIGTERM (every acknowledged block is already on disk).
 * @module
 */
import { parseArgs } from 'node:util';
import Peer from 'simple-peer';
import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';
import { InputError } from '../core/errors.ts';
import { assembleNode, hostClock } from '../net/assemble.ts';
import { WebRtcTransport } from '../net/webrtc/transport.ts';
import type { SimplePeerCtor } from '../net/webrtc/connector.ts';
import type { WebSocketCtor } from '../net/webrtc/signaling-client.ts';
import { FullNode, type FullNodeRole } from './full-node.ts';
import { nodeCrypto } from './node-crypto.ts';
import { parseAdminAddress, startAdmin } from './admin.ts';
import { CheckpointWatch, signalingReporter, statusLine } from './status.ts';

export const NODE_HELP = `beeptrace node --role archive|validator|solver --signal ws://HOST:PORT --data DIR [--region R] [--tick SECONDS] [--status SECONDS] [--interval SECONDS] [--admin 127.0.0.1:PORT]

  --role     archive: store and serve both chains; validator: also sign checkpoints;
             solver: also match and publish notifications
  --signal   the signaling server (npm run signaling: ws://127.0.0.1:8787)
  --data     data directory: DIR/node.json (configuration) and DIR/blocks (the chains)
  --region   overrides node.json's region
  --tick     seconds between role duties (default 60)
  --interval a validator's checkpoint interval, seconds (default 600; every validator of a
             region must use the same, or their checkpoints never reach a quorum)
  --status   seconds between status lines on stderr: role, peers, blocks and the last final
             checkpoint per chain (default 30; 0 = none)
  --admin    a loopback HOST:PORT for the admin endpoint (port 0 = any free port): GET /metrics
             (Prometheus text format) and POST /blocks (publish a block; beeptrace ca --node)

DIR/node.json names the node's certified key file ("roleKeyFile") and a solver's epoch hand-over
file ("epochKeysFile"); the key file's passphrase comes from BEEPTRACE_PASSPHRASE or a prompt
(docs/NODE.md, README "Run your own authority").
`;

/** Run a full node until a signal stops it. Returns the exit code. */
export async function runNode(argv: string[], log: (m: string) => void = (m) => process.stderr.write(`${m}\n`)): Promise<number> {
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: { role: { type: 'string' }, signal: { type: 'string' }, data: { type: 'string' }, region: { type: 'string' }, tick: { type: 'string' }, status: { type: 'string' }, interval: { type: 'string' }, admin: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    process.stdout.write(NODE_HELP);
    return 0;
  }
  const role = values.role as FullNodeRole;
  if (!['archive', 'validator', 'solver'].includes(role)) throw new InputError('usage', `--role must be archive, validator or solver, got "${values.role ?? ''}"`);
  if (!values.signal || !/^wss?:\/\/[^ ]+$/.test(values.signal)) throw new InputError('usage', '--signal ws://HOST:PORT names the signaling server');
  if (!values.data) throw new InputError('usage', '--data DIR names the data directory (with node.json)');
  const tickSec = values.tick === undefined ? 60 : Number(values.tick);
  if (!Number.isInteger(tickSec) || tickSec < 1 || tickSec > 86_400) throw new InputError('usage', `--tick must be whole seconds 1..86400, got "${values.tick}"`);
  const statusSec = values.status === undefined ? 30 : Number(values.status);
  if (!Number.isInteger(statusSec) || statusSec < 0 || statusSec > 86_400) throw new InputError('usage', `--status must be whole seconds 0..86400, got "${values.status}"`);
  const intervalSec = values.interval === undefined ? 600 : Number(values.interval);
  if (!Number.isInteger(intervalSec) || intervalSec < 1 || intervalSec > 86_400) throw new InputError('usage', `--interval must be whole seconds 1..86400, got "${values.interval}"`);
  const admin = values.admin !== undefined ? parseAdminAddress(values.admin) : undefined;
  const full = await FullNode.open({ dir: values.data, role, crypto: nodeCrypto, checkpointSec: intervalSec });
  full.log = log;
  if (values.region !== undefined) {
    if (!/^\d+$/.test(values.region) || Number(values.region) !== full.config.region) throw new InputError('usage', `--region ${values.region} does not match node.json's region ${full.config.region}`);
  }
  const url = values.signal;
  const assembled = assembleNode({
    ledger: full.ledger, role: 'full', clock: hostClock(), crypto: nodeCrypto,
    transport: (chains) => new WebRtcTransport({
      url, region: full.config.region, chains, Peer: Peer as unknown as SimplePeerCtor, wrtc, WebSocketImpl: WebSocket as unknown as WebSocketCtor,
    }),
  });
  const { node: net, transport } = assembled;
  transport.sig.onState = signalingReporter(url, log);
  full.publishVia((b) => net.publish(b)); // the roles' blocks go through the node's serial queue and are announced
  const checkpoints = await CheckpointWatch.open(full.ledger);
  assembled.start();
  log(`beeptrace node: ${role}, region ${full.config.region}, ${full.ledger.count()} blocks on disk, signaling ${url}`);
  const adminServer = admin ? await startAdmin({ ...admin, full, net, checkpoints }) : undefined;
  if (adminServer) log(`admin: ${adminServer.url} (GET /metrics, POST /blocks; loopback only)`);
  const status = statusSec > 0 ? setInterval(() => log(statusLine(role, net, full.ledger, checkpoints)), statusSec * 1000) : undefined;
  const duty = setInterval(() => {
    full.tick().then(
      async (blocks) => {
        if (blocks.length) log(`${role}: published ${blocks.length} block(s)`);
      },
      (e: Error) => log(`${role} duty failed: ${e.message}`),
    );
  }, tickSec * 1000);
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log(`${sig}: stopping`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  clearInterval(duty);
  clearInterval(status);
  await adminServer?.close();
  await assembled.stop();
  await full.close();
  return 0;
}
