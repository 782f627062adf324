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
import { Role } from '../core/codec/records.ts';
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
             (Prometheus text format), GET /health, GET /ready, POST /blocks (publish a block;
             beeptrace ca --node). A port already in use stops the node (exit 2).

Every line on stderr starts with its UTC time. Retention: blocks older than the policy's window
are deleted at start and hourly (docs/PROTOCOL.md §10.3).

DIR/node.json names the node's certified key file ("roleKeyFile") and a solver's epoch hand-over
file ("epochKeysFile"); the key file's passphrase comes from BEEPTRACE_PASSPHRASE or a prompt
(docs/NODE.md, README "Run your own authority").
`;

/** A log line as the node writes it: UTC time, then the message. @example stamped('status: …') // "2026-03-02T09:40:00.123Z status: …" */
export function stamped(m: string, now = new Date()): string {
  return `${now.toISOString()} ${m}`;
}

/** Days before its certificate ends that a node starts warning (once a day). */
export const RENEW_WARN_DAYS = 28;

/** A function that logs, at most once a day, that this node's certificate ends soon or is gone. */
function renewalWarning(full: FullNode, log: (m: string) => void, now = Date.now): () => void {
  let last = -Infinity;
  return () => {
    if (full.role === 'archive' || now() - last < 86_400_000) return;
    const own = full.standing(Math.floor(now() / 1000));
    const left = own.until !== undefined ? own.until - now() / 1000 : undefined;
    if (left !== undefined && left < RENEW_WARN_DAYS * 86_400) log(`warning: this node's ${full.role} certificate ends ${new Date(own.until! * 1000).toISOString()} (in ${Math.floor(left / 86_400)} days): ask the CA to renew it (beeptrace ca certify)`);
    else if (own.why && CERTIFIED_ONCE(full)) log(`warning: this node's key may not act as ${full.role}: ${own.why}`);
    else return;
    last = now();
  };
}
const CERTIFIED_ONCE = (full: FullNode) => full.ledger.authority.subjects(full.role === 'solver' ? Role.SOLVER : Role.VALIDATOR).length > 0;

/** Run a full node until a signal stops it. Returns the exit code. */
export async function runNode(argv: string[], log: (m: string) => void = (m) => process.stderr.write(`${stamped(m)}\n`)): Promise<number> {
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
  if (values.region !== undefined && (!/^\d+$/.test(values.region) || Number(values.region) !== full.config.region)) {
    await full.close();
    throw new InputError('usage', `--region ${values.region} does not match node.json's region ${full.config.region}`);
  }
  const url = values.signal;
  let pruned = 0;
  const assembled = assembleNode({
    ledger: full.ledger, role: 'full', clock: hostClock(), crypto: nodeCrypto,
    // a validator or solver proves its certified key to its peers and joins the certified-node directory (docs/NET.md §7.3)
    auth: full.config.roleKey,
    transport: (chains, { certified }) => new WebRtcTransport({
      url, region: full.config.region, chains, certified, Peer: Peer as unknown as SimplePeerCtor, wrtc, WebSocketImpl: WebSocket as unknown as WebSocketCtor,
    }),
    onPrune: (r) => {
      pruned += r.pruned;
      if (r.error) log(`retention: pruning failed: ${r.error}`);
      else if (r.pruned) log(`retention: deleted ${r.pruned} block(s) older than ${full.ledger.authority.policy.retentionDays} days`);
    },
  });
  const { node: net, transport } = assembled;
  transport.sig.onState = signalingReporter(url, log);
  full.publishVia((b) => net.publish(b)); // the roles' blocks go through the node's serial queue and are announced
  const checkpoints = await CheckpointWatch.open(full.ledger);
  // The admin endpoint first: a port already taken stops the node before it joins the mesh (exit 2).
  let adminServer: Awaited<ReturnType<typeof startAdmin>> | undefined;
  try {
    adminServer = admin ? await startAdmin({ ...admin, full, net, checkpoints, signaling: transport.sig, pruned: () => pruned }) : undefined;
  } catch (e) {
    await full.close();
    throw e;
  }
  assembled.start();
  log(`beeptrace node: ${role}, region ${full.config.region}, ${full.ledger.count()} blocks on disk, signaling ${url}`);
  if (adminServer) log(`admin: ${adminServer.url} (GET /metrics, /health, /ready; POST /blocks; loopback only)`);
  const renewal = renewalWarning(full, log);
  renewal();
  const status = statusSec > 0 ? setInterval(() => {
    log(statusLine(role, net, full.ledger, checkpoints));
    renewal();
  }, statusSec * 1000) : undefined;
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
