/**
 * The whole local network of `beeptrace start`, in one call: the built app and its
 * `/config.json`, the signaling server under `/signal` of the same origin, the local authority
 * (a CA in the data folder, with its own node on the mesh), and full nodes (a solver and two
 * validators) as child processes. Tests start the same stack on an ephemeral port.
 *
 * Data folder (default `.beeptrace/`):
 *   authority/            the CA (src/node/start/authority.ts): encrypted key files and their generated
 *                         passphrase (0600), the CA folder of beeptrace ca, its ledger
 *   nodes/<name>/         each full node: node.json (0600) and blocks/ (docs/NODE.md)
 *   tls/                  the --lan certificate (key 0600)
 *
 * @example
 * const stack = await startStack({ dataDir: tmp, port: 0 });
 * await fetch(`${stack.appUrl}config.json`);
 * await stack.publish(diagnosisBytes);
 * await stack.stop();
 * @module
 */
import { createServer as createHttp, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttps, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Peer from 'simple-peer';
import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';
import { toHex } from '../../core/bytes.ts';
import { InputError } from '../../core/errors.ts';
import type { Policy } from '../../core/policy.ts';
import { Chain } from '../../core/types.ts';
import { NetNode, type PublishResult } from '../../net/node.ts';
import type { Clock } from '../../net/link.ts';
import { WebRtcTransport } from '../../net/webrtc/transport.ts';
import type { SimplePeerCtor } from '../../net/webrtc/connector.ts';
import type { WebSocketCtor } from '../../net/webrtc/signaling-client.ts';
import type { AppConfig } from '../../app/protocol.ts';
import { startSignalingServer, type SignalingServer } from '../../../signaling/server.ts';
import { FullNode, type FullNodeRole } from '../full-node.ts';
import { nodeCrypto } from '../node-crypto.ts';
import { REPO_ROOT } from '../repo.ts';
import { LocalAuthority, writeSecret } from './authority.ts';
import { ensureBuilt } from './build.ts';
import { spawnNode, type ChildNode } from './children.ts';
import { lanAddresses, lanCertificate, type LanCertificate } from './lan-cert.ts';
import { staticHandler } from './static-server.ts';
import { describeCspReport, type CspReport } from './security-headers.ts';
import { startDemo, type DemoOptions, type DemoTown } from './demo.ts';

/** The checkout's root (where index.html and vite.config.ts are). @example join(REPO_ROOT, 'dist') */
export { REPO_ROOT };
/** Default port of the app (and signaling, under /signal). @example startStack({ port: DEFAULT_APP_PORT }) */
export const DEFAULT_APP_PORT = 8080;
/** Path of the signaling endpoint on the app's origin. @example `${appUrl.slice(0, -1)}${SIGNAL_PATH}/health` */
export const SIGNAL_PATH = '/signal';
/** Default seconds between duties: a solver every 10 s so a local demo answers quickly; validators every 30 s. @example { ...DEFAULT_TICKS, solver: 1 } */
export const DEFAULT_TICKS = { solver: 10, validator: 30 };

/** Signaling limits of the local stack (the rest keep signaling/limits.ts's defaults). @example startSignalingServer({ limits: LOCAL_SIGNALING_LIMITS }) */
export const LOCAL_SIGNALING_LIMITS = { messagesPerSecond: 100, burst: 400 };

export interface StackOptions {
  /** Data folder (default `.beeptrace`). */
  dataDir?: string;
  /** Port of the app and signaling (default 8080); 0 = any free port. */
  port?: number;
  /** A busy port is an error (true) or the next free one is taken (false; default when `port` is not given). */
  strictPort?: boolean;
  /** Serve HTTPS on every interface with the data folder's self-signed certificate. */
  lan?: boolean;
  /** Bind address (default 127.0.0.1; 0.0.0.0 with `lan`). */
  host?: string;
  /** Region (default 1). */
  region?: number;
  /** The authority's policy (default DEFAULT_POLICY). */
  policy?: Policy;
  /** The built app to serve (default: the checkout's dist/, built first if missing or stale). */
  distDir?: string;
  /** Build dist/ when missing or stale (default true; never when `distDir` is given). */
  build?: boolean;
  /** Seconds between the full nodes' duties. */
  ticks?: { solver?: number; validator?: number };
  /** The validators' checkpoint interval, seconds (default 600). */
  checkpointSeconds?: number;
  /** Start the full nodes (default true). */
  nodes?: boolean;
  /** Where output lines go (default stderr). */
  log?: (line: string) => void;
  /** Also run a simulated town publishing real blocks into the mesh (`--demo`; src/node/start/demo.ts). */
  demo?: Pick<DemoOptions, 'place' | 'residents' | 'seed' | 'paceMs' | 'uploadsPerStep' | 'caseEvery' | 'maxCases'>;
}

export interface Stack {
  /** The app, e.g. `http://127.0.0.1:8080/`. */
  appUrl: string;
  /** `https://<lan address>:<port>/` for each LAN address (with `lan`). */
  lanUrls: string[];
  /** The signaling endpoint as the nodes of this machine reach it. */
  signalUrl: string;
  /** Its health endpoint. */
  healthUrl: string;
  dataDir: string;
  port: number;
  /** Set when the asked port was busy and the next free one was taken. */
  portNote?: string;
  /** `/config.json` as served to a browser that opened `appUrl`. */
  config: AppConfig;
  authority: LocalAuthority;
  /** The authority's own node on the mesh (it carries both chains). */
  net: NetNode;
  /** The full nodes' child processes. */
  nodes: ChildNode[];
  /** The simulated town, with `demo`. */
  demo?: DemoTown;
  certificate?: LanCertificate;
  /** Content-Security-Policy violations browsers reported while the stack ran (the first 100; each is also logged). */
  cspReports: CspReport[];
  /** Publish a block through the authority's node (added to its ledger and gossiped to the mesh). */
  publish(bytes: Uint8Array): Promise<PublishResult>;
  /** Stop everything: the full nodes (SIGTERM, awaited), the authority's node, signaling, the server. Idempotent. */
  stop(): Promise<void>;
}

/** The port is taken and `strictPort` was set. @example e instanceof PortInUseError && e.port === 8080 */
export class PortInUseError extends InputError {
  constructor(readonly port: number) {
    super('port_in_use', `port ${port} is already in use (another beeptrace start?): stop what uses it, or choose another with --port N (0 = any free port)`);
  }
}

const systemClock: Clock = { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };

/**
 * Start the stack; resolves once everything listens and the full nodes are spawned.
 * @example const s = await startStack({ dataDir: tmp, port: 0, distDir }); await s.stop();
 */
export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const dataDir = resolve(o.dataDir ?? '.beeptrace');
  const region = o.region ?? 1;
  const lan = o.lan === true;
  const host = o.host ?? (lan ? '0.0.0.0' : '127.0.0.1');
  const ticks = { ...DEFAULT_TICKS, ...o.ticks };
  await mkdir(dataDir, { recursive: true, mode: 0o700 });

  const distDir = o.distDir ?? join(REPO_ROOT, 'dist');
  if (!o.distDir && o.build !== false) await ensureBuilt(REPO_ROOT, log);
  if (!existsSync(join(distDir, 'index.html'))) log(`warning: ${distDir} holds no built app (index.html): the app's pages will be 404 (build it with npm run build)`);

  const authority = await LocalAuthority.open({ dir: join(dataDir, 'authority'), region, crypto: nodeCrypto, policy: o.policy });
  const cleanup: (() => Promise<unknown> | unknown)[] = [() => authority.close()];
  const undo = async () => {
    for (const fn of cleanup.reverse()) await fn();
  };
  try {
    const certificate = lan ? await lanCertificate(join(dataDir, 'tls'), lanAddresses()) : undefined;
    const scheme = lan ? 'https' : 'http';
    const rootKey = toHex(authority.keys.root.publicKey);
    let signaling: SignalingServer | undefined;
    let localHost = '';
    const cspReports: CspReport[] = [];
    const handler = staticHandler({
      dir: distDir,
      before: (req, res) => signaling?.handleHttp(req, res) ?? false,
      onCspReport: (r) => {
        if (cspReports.length >= 100) return;
        cspReports.push(r);
        log(describeCspReport(r));
      },
      config: (req) => appConfig(req, lan, region, rootKey, localHost),
    });
    const asked = o.port ?? DEFAULT_APP_PORT;
    const strict = o.strictPort ?? o.port !== undefined;
    const { server, port } = await listen(() => (certificate ? createHttps({ cert: certificate.cert, key: certificate.key }, handler) : createHttp(handler)), host, asked, strict);
    cleanup.push(() => new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }));
    const portNote = port !== asked && asked !== 0 ? `port ${asked} is in use; using ${port} instead` : undefined;
    localHost = `127.0.0.1:${port}`;
    // A full node dials several peers at once and each sends a burst of ICE candidates: on a busy
    // local stack the public defaults (20/s, burst 40) close it for rate; these bounds are roomier.
    signaling = await startSignalingServer({ attach: { server, path: SIGNAL_PATH }, limits: LOCAL_SIGNALING_LIMITS });
    cleanup.push(() => signaling!.close());
    const appUrl = `${scheme}://127.0.0.1:${port}/`;
    const signalUrl = `${lan ? 'wss' : 'ws'}://127.0.0.1:${port}${SIGNAL_PATH}`;

    // The authority's own node: its ledger on the mesh, so its statements (and a test's blocks) reach everyone.
    const WebSocketImpl = certificate ? trustingWebSocket(certificate.cert) : (WebSocket as unknown as WebSocketCtor);
    const transport = new WebRtcTransport({
      url: signalUrl, region, chains: ['tracing', 'notification'], Peer: Peer as unknown as SimplePeerCtor, wrtc, WebSocketImpl, iceServers: [],
    });
    const net = new NetNode({ ledger: authority.ledger, clock: systemClock, role: 'full', connect: transport.connect, discover: transport.discover, sourceOf: transport.sourceOf });
    transport.attach(net);
    transport.start();
    net.start();
    cleanup.push(() => {
      net.stop();
      transport.stop();
    });
    authority.publisher = (b) => net.publish(b);
    // Retention (docs/PROTOCOL.md §10.3) on the authority's node, now and with the hourly upkeep below;
    // the full nodes prune their own (src/net/assemble.ts).
    const prune = async () => {
      const n = await authority.ledger.prune();
      if (n) log(`authority: retention deleted ${n} block(s) older than ${authority.ledger.authority.policy.retentionDays} days`);
    };
    await prune();

    // The full nodes.
    const nodes: ChildNode[] = [];
    const specs: { name: string; role: FullNodeRole; index: number; tick: number }[] = o.nodes === false ? [] : [
      { name: 'solver', role: 'solver', index: 0, tick: ticks.solver },
      { name: 'validator-1', role: 'validator', index: 0, tick: ticks.validator },
      { name: 'validator-2', role: 'validator', index: 1, tick: ticks.validator },
    ];
    let stopping = false;
    // The full nodes open their key files with the local demo's passphrase (src/node/start/authority.ts).
    const env: NodeJS.ProcessEnv = { BEEPTRACE_PASSPHRASE: authority.passphrase, ...(certificate ? { NODE_EXTRA_CA_CERTS: certificate.certFile } : {}) };
    const startNode = async (s: (typeof specs)[number]): Promise<ChildNode> => {
      const dir = join(dataDir, 'nodes', s.name);
      await writeSecret(join(dir, 'node.json'), `${JSON.stringify(authority.nodeConfig(s.role, s.index), null, 2)}\n`);
      await seed(dir, s.role, authority);
      return spawnNode({
        name: s.name, log, env,
        args: ['--role', s.role, '--data', dir, '--signal', signalUrl, '--tick', String(s.tick), '--interval', String(o.checkpointSeconds ?? 600)],
        onExit: (code) => {
          if (!stopping) log(`${s.name} exited (${code}); the rest of the stack keeps running — restart beeptrace start to bring it back`);
        },
      });
    };
    for (const s of specs) nodes.push(await startNode(s));
    cleanup.push(async () => {
      stopping = true;
      await Promise.all(nodes.map((n) => n.stop()));
    });

    // Keep epochs current and standing statements fresh; a new epoch key goes to the solver (restarted).
    let upkeep = Promise.resolve();
    const timer = setInterval(() => {
      upkeep = upkeep.then(async () => {
        await prune();
        const made = await authority.ensureEpochs();
        if (authority.refreshDue()) log(`authority: re-published ${await authority.refresh()} standing statements`);
        const i = specs.findIndex((s) => s.role === 'solver');
        if (made.length && i >= 0 && !stopping) {
          log(`authority: epoch key ${made.join(', ')} published; restarting the solver with it`);
          await nodes[i].stop();
          if (!stopping) nodes[i] = await startNode(specs[i]);
        }
      }).catch((e: Error) => log(`authority upkeep failed: ${e.message}`));
    }, 3_600_000);
    cleanup.push(async () => {
      clearInterval(timer);
      await upkeep;
    });

    let demo: DemoTown | undefined;
    if (o.demo) {
      const town = startDemo({ ...o.demo, authority, publish: (b) => net.publish(b), region, crypto: nodeCrypto, log });
      demo = town;
      cleanup.push(() => town.stop());
    }

    let stopped: Promise<void> | undefined;
    const config = appConfig(undefined, lan, region, rootKey, localHost);
    return {
      appUrl, signalUrl, dataDir, port, portNote, config, authority, net, nodes, certificate, demo, cspReports,
      lanUrls: !lan ? [] : (host === '0.0.0.0' || host === '::' ? lanAddresses() : /^(127\.|::1$|localhost$)/.test(host) ? [] : [host]).map((a) => `https://${a}:${port}/`),
      healthUrl: `${appUrl.slice(0, -1)}${SIGNAL_PATH}/health`,
      publish: (bytes) => net.publish(bytes),
      stop: () => (stopped ??= undo()),
    };
  } catch (e) {
    await undo();
    throw e;
  }
}

/** The app's configuration; the signaling URL follows the host the browser used (a phone uses the LAN address). */
function appConfig(req: IncomingMessage | undefined, lan: boolean, region: number, rootKey: string, fallbackHost: string): AppConfig {
  const h = req?.headers.host;
  const host = h && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(h) ? h : fallbackHost;
  return { region, signalUrl: `${lan ? 'wss' : 'ws'}://${host}${SIGNAL_PATH}`, rootKey, iceServers: [] };
}

/** Give a full node's data folder every block of the authority's notification chain it lacks (before it starts). */
async function seed(dir: string, role: FullNodeRole, authority: LocalAuthority): Promise<void> {
  const node = await FullNode.open({ dir, role, crypto: nodeCrypto, passphrase: async () => authority.passphrase });
  try {
    for (const e of authority.ledger.entries(Chain.NOTIFICATION)) {
      if (node.ledger.has(e.id)) continue;
      const bytes = await authority.ledger.get(e.id);
      if (bytes) await node.ingest(bytes);
    }
  } finally {
    await node.close();
  }
}

/** Listen on `port`, or (not strict) on the next free port of the 20 after it. */
async function listen(make: () => HttpServer | HttpsServer, host: string, port: number, strict: boolean): Promise<{ server: HttpServer | HttpsServer; port: number }> {
  for (let p = port, tries = 0; ; p++, tries++) {
    const server = make();
    try {
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(p, host, () => {
          server.off('error', fail);
          ok();
        });
      });
      server.on('clientError', (_e, socket) => socket.destroy());
      return { server, port: (server.address() as AddressInfo).port };
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== 'EADDRINUSE') throw new InputError('listen', `cannot listen on ${host}:${p}: ${(e as Error).message}`);
      if (strict || port === 0 || tries >= 20 || p >= 65535) throw new PortInUseError(p);
    }
  }
}

/** A `ws` WebSocket that trusts the stack's own certificate (the authority's node reaches wss://127.0.0.1). */
function trustingWebSocket(ca: string): WebSocketCtor {
  class Trusting extends WebSocket {
    constructor(url: string) {
      super(url, { ca });
    }
  }
  return Trusting as unknown as WebSocketCtor;
}

