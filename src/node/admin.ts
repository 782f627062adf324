/**
 * A full node's admin endpoint, on loopback only (`beeptrace node --admin 127.0.0.1:PORT`):
 *
 *   GET  /metrics   Prometheus text format (0.0.4): blocks per chain, peers, blocks ingested
 *                   (counter, and a per-second rate over the last minute), pending blocks, the
 *                   solver's totals and last rate, the last final checkpoint per chain
 *   GET  /health    200 {"ok":true,…} while the process serves and its store writes; 503 once the
 *                   ledger stopped on a store fault (restart it once the disk is fixed)
 *   GET  /ready     200 {"ready":true} when the node does its job: store healthy, signaling
 *                   connected, the CA's certificates held, and (validator, solver) its own key
 *                   certified and not revoked, (solver) the current epoch's key held; else 503
 *                   {"ready":false,"reasons":[…]}
 *   POST /blocks    body: one block's bytes (application/octet-stream, ≤ MAX_BLOCK_BYTES) → the
 *                   node publishes it (stores and gossips) → 200 {"id","status"}; a block that
 *                   does not decode or breaks a rule → 400 {"error": code, "message"}; too big →
 *                   413; from a non-loopback address → 403. This is how `beeptrace ca` publishes.
 *
 * Peer input never reaches it (it listens on loopback and answers loopback clients only).
 *
 * @example
 * const admin = await startAdmin({ host: '127.0.0.1', port: 0, full, net, checkpoints });
 * await fetch(`${admin.url}/metrics`); await admin.close();
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toHex } from '../core/bytes.ts';
import { MAX_BLOCK_BYTES } from '../core/codec/block.ts';
import { BeepTraceError, InputError } from '../core/errors.ts';
import { Chain } from '../core/types.ts';
import { Role } from '../core/codec/records.ts';
import { epochOf } from '../core/policy.ts';
import type { PublishResult } from '../net/node.ts';
import type { FullNode } from './full-node.ts';
import type { CheckpointWatch } from './status.ts';

/** Is `host` a loopback address? @example isLoopback('127.0.0.1') === true */
export function isLoopback(host: string | undefined): boolean {
  return !!host && (/^127\./.test(host) || host === '::1' || /^::ffff:127\./.test(host) || host === 'localhost');
}

/**
 * Parse `--admin HOST:PORT` (loopback only). @example parseAdminAddress('127.0.0.1:9464') // { host: '127.0.0.1', port: 9464 }
 */
export function parseAdminAddress(v: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(v);
  const host = m?.[1].replace(/^\[|\]$/g, '');
  if (!m || +m[2] > 65535 || !isLoopback(host)) throw new InputError('usage', `--admin must be a loopback HOST:PORT such as 127.0.0.1:9464 (port 0 = any free port), got "${v}"`);
  return { host: host!, port: +m[2] };
}

/** What the endpoint reads. @example { full, net, checkpoints, signaling: transport.sig } */
export interface AdminSources {
  full: FullNode;
  net: { peers(): unknown[]; publish(bytes: Uint8Array): Promise<PublishResult> };
  checkpoints: CheckpointWatch;
  /** The signaling client (its `connected`); absent: not checked by /ready. */
  signaling?: { readonly connected: boolean };
  /** Clock, ms (default Date.now). */
  now?: () => number;
}

/**
 * Why the node is not ready to do its job (empty: ready). @example readiness(sources) // ['signaling server not connected']
 */
export function readiness(o: AdminSources): string[] {
  const { full } = o;
  const nowSec = Math.floor((o.now ?? Date.now)() / 1000);
  const out: string[] = [];
  if (full.ledger.fault) out.push(`store fault: ${full.ledger.fault.message}`);
  if (o.signaling && !o.signaling.connected) out.push('signaling server not connected');
  if (!CERT_ROLES.some((r) => full.ledger.authority.subjects(r).length)) out.push('no certificate of the CA held yet (its statements have not reached this node)');
  const own = full.standing(nowSec);
  if (own.why) out.push(`this node's key may not act as ${full.role}: ${own.why}`);
  if (full.role === 'solver') {
    const epoch = epochOf(full.ledger.authority.policy, Math.floor(nowSec / 86_400));
    if (!full.epochsHeld().includes(epoch)) out.push(`no key of the current epoch ${epoch} (copy the CA's hand-over file after beeptrace ca epoch)`);
  }
  return out;
}

/** A running endpoint. @example admin.url === 'http://127.0.0.1:9464' */
export interface Admin {
  url: string;
  close(): Promise<void>;
}

const CHAINS = [[Chain.TRACING, 'tracing'], [Chain.NOTIFICATION, 'notification']] as const;
const CERT_ROLES = [Role.DIAGNOSTICIAN, Role.SOLVER, Role.VALIDATOR, Role.VENUE];

/** Start the endpoint. @example const admin = await startAdmin({ host: '127.0.0.1', port: 0, ...sources }) */
export async function startAdmin(o: { host: string; port: number; pruned?: () => number } & AdminSources): Promise<Admin> {
  const ingested = new Map<number, number>();
  const recent: number[] = [];
  o.full.ledger.onBlock((e) => {
    ingested.set(e.chain, (ingested.get(e.chain) ?? 0) + 1);
    recent.push(Date.now());
    if (recent.length > 100_000) recent.splice(0, recent.length - 100_000);
  });
  const metrics = (): string => {
    const now = Date.now();
    while (recent.length && recent[0] < now - 60_000) recent.shift();
    const { full } = o;
    const s = full.solverStats;
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples.map(([labels, v]) => `${name}${labels} ${Number.isFinite(v) ? v : 0}`));
    };
    const carried = CHAINS.filter(([c]) => full.ledger.carries(c));
    metric('beeptrace_node_info', 'gauge', 'This node: role and region.', [[`{role="${full.role}",region="${full.config.region}"}`, 1]]);
    metric('beeptrace_blocks', 'gauge', 'Blocks held, per chain.', carried.map(([c, n]) => [`{chain="${n}"}`, full.ledger.count(c)]));
    metric('beeptrace_blocks_ingested_total', 'counter', 'Blocks added to the ledger since the node started, per chain.', carried.map(([c, n]) => [`{chain="${n}"}`, ingested.get(c) ?? 0]));
    metric('beeptrace_ingest_blocks_per_second', 'gauge', 'Blocks added per second over the last minute.', [['', Math.round((recent.length / 60) * 1000) / 1000]]);
    metric('beeptrace_pending_blocks', 'gauge', 'Blocks held while their parents or a CA statement are fetched.', [['', full.ledger.pendingCount]]);
    metric('beeptrace_peers', 'gauge', 'Connected peers.', [['', o.net.peers().length]]);
    metric('beeptrace_checkpoint_final_to_seconds', 'gauge', 'End (Unix seconds) of the last final checkpoint per chain; 0 = none yet.', carried.map(([c, n]) => [`{chain="${n}"}`, o.checkpoints.lastFinal(c)?.toTime ?? 0]));
    metric('beeptrace_blocks_not_counting', 'gauge', 'Blocks stored and passed on that do not count (a revoked signer, proof-of-work or epoch under the policy at their time; PROTOCOL 9.1), per chain.', carried.map(([c, n]) => [`{chain="${n}"}`, full.ledger.entries(c).filter((e) => full.ledger.whyVoid(e.id) !== null).length]));
    metric('beeptrace_pruned_blocks_total', 'counter', 'Blocks deleted by retention pruning since the node started.', [['', o.pruned?.() ?? 0]]);
    if (full.role !== 'archive') {
      const own = full.standing(Math.floor(now / 1000));
      metric('beeptrace_certificate_expiry_seconds', 'gauge', 'End (Unix seconds) of this node\'s own certificate; 0 = none valid now.', [['', own.until ?? 0]]);
      metric('beeptrace_certified', 'gauge', '1 if this node\'s key may act in its role now (certified, not revoked), else 0.', [['', own.why === null ? 1 : 0]]);
    }
    if (full.role === 'solver') {
      metric('beeptrace_solver_runs_total', 'counter', 'Solver runs.', [['', s.runs]]);
      metric('beeptrace_solver_stays_total', 'counter', 'Stays scanned by the solver.', [['', s.stays]]);
      metric('beeptrace_solver_seconds_total', 'counter', 'Seconds spent solving (stays_total / seconds_total = the solver rate).', [['', Math.round(s.seconds * 1000) / 1000]]);
      metric('beeptrace_solver_stays_per_second', 'gauge', 'Stays per second of the last run.', [['', s.lastStaysPerSecond]]);
      metric('beeptrace_solver_tags_published_total', 'counter', 'Notification tags published.', [['', s.tags]]);
      metric('beeptrace_solver_blocks_published_total', 'counter', 'Notification blocks published.', [['', s.blocks]]);
      metric('beeptrace_solver_already_published_total', 'counter', 'User-days skipped because another solver had published their tag.', [['', s.alreadyPublished]]);
      metric('beeptrace_solver_last_run_seconds', 'gauge', 'Time (Unix seconds) of the last run; 0 = none yet.', [['', s.lastRunAt ?? 0]]);
      metric('beeptrace_solver_epochs_held', 'gauge', 'Epoch private keys the solver holds.', [['', full.epochsHeld().length]]);
    }
    return `${lines.join('\n')}\n`;
  };
  const send = (res: ServerResponse, code: number, body: object | string, type = 'application/json') => {
    res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(typeof body === 'string' ? body : `${JSON.stringify(body)}\n`);
  };
  const postBlock = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (ch: Buffer) => {
      size += ch.length;
      if (size > MAX_BLOCK_BYTES) over = true;
      else chunks.push(ch);
    });
    req.on('end', () => {
      if (over) return send(res, 413, { error: 'too_long', message: `a block is at most ${MAX_BLOCK_BYTES} bytes` });
      if (!size) return send(res, 400, { error: 'empty', message: 'POST /blocks takes one block\'s bytes as the body' });
      const bytes = new Uint8Array(Buffer.concat(chunks));
      o.net.publish(bytes).then(
        (r) => send(res, 200, { id: toHex(r.id), status: r.status }),
        (e: unknown) => {
          if (e instanceof BeepTraceError) send(res, 400, { error: e.code, message: e.message });
          else send(res, 500, { error: 'internal', message: (e as Error).message });
        },
      );
    });
    req.on('error', () => res.destroy());
  };
  const server = createServer((req, res) => {
    if (!isLoopback(req.socket.remoteAddress)) return send(res, 403, { error: 'forbidden', message: 'the admin endpoint answers loopback clients only' });
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics' && req.method === 'GET') return send(res, 200, metrics(), 'text/plain; version=0.0.4; charset=utf-8');
    if (path === '/health' && req.method === 'GET') {
      const fault = o.full.ledger.fault;
      return send(res, fault ? 503 : 200, { ok: !fault, role: o.full.role, region: o.full.config.region, uptimeSeconds: Math.round(process.uptime()), ...(fault ? { error: fault.message } : {}) });
    }
    if (path === '/ready' && req.method === 'GET') {
      const reasons = readiness(o);
      return send(res, reasons.length ? 503 : 200, { ready: !reasons.length, role: o.full.role, reasons });
    }
    if (path === '/blocks' && req.method === 'POST') return postBlock(req, res);
    if (['/metrics', '/blocks', '/health', '/ready'].includes(path)) return send(res, 405, { error: 'method', message: `${req.method} is not allowed on ${path}` });
    send(res, 404, { error: 'not_found', message: 'GET /metrics, GET /health, GET /ready, POST /blocks' });
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((ok, fail) => {
    // fatal for the node (run-node.ts exits 2): a node without its endpoint, or another node's
    // endpoint answering for it on this port, would mislead the operator's monitoring and CA
    server.once('error', (e) => fail(new InputError('listen', `--admin: cannot listen on ${o.host}:${o.port}: ${e.message}${(e as { code?: string }).code === 'EADDRINUSE' ? ' (another node uses this port: give each node its own)' : ''}`)));
    server.listen(o.port, o.host, () => ok());
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    url: `http://${host}:${a.port}`,
    close: () => new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }),
  };
}
