/**
 * The BeepTrace signaling server: introduces peers of a room to each other and relays their
 * WebRTC offers, answers and candidates, nothing more. It keeps no state on disk, never logs
 * addresses, and knows nothing of the ledger (no imports from src/).
 *
 * One port serves both the WebSocket endpoint (any path; use `/`) and `GET /health`.
 * With `attach`, it serves instead under one path of an HTTP(S) server its caller owns (the
 * WebSocket at `PATH`, health at `PATH/health` through `handleHttp`), so one origin and one
 * certificate can serve an app and its signaling (`beeptrace start`).
 * Protocol, limits and close codes: docs/SIGNALING.md.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { CARE_ROOM_SIZE, CloseCode, isCareRoom, parseClientMessage, type AnnouncedLimits, type CloseCodeValue, type ErrorCode, type ServerMessage } from './protocol.ts';
import { resolveLimits, TokenBucket, type SignalingLimits } from './limits.ts';
import { Rooms } from './rooms.ts';
import { clientAddress, sourceOf, SourceTags } from './source.ts';

/** Default bind address: loopback only. Expose it deliberately with `--host`. */
export const DEFAULT_HOST = '127.0.0.1';
/** Default port. */
export const DEFAULT_PORT = 8787;

/** One event for the optional logger. Never carries an address; peer ids are per-connection random. */
export interface SignalingLogEvent {
  event: 'listening' | 'connect' | 'join' | 'leave' | 'disconnect' | 'violation' | 'shutdown';
  peer?: string;
  room?: string;
  code?: number;
  reason?: string;
  url?: string;
}

/** Options of {@link startSignalingServer}. */
export interface SignalingServerOptions {
  /** Bind address (default {@link DEFAULT_HOST}). */
  host?: string;
  /** Port (default {@link DEFAULT_PORT}); 0 for an ephemeral port. */
  port?: number;
  /** Limits to override; the rest keep their defaults (see limits.ts). */
  limits?: Partial<SignalingLimits>;
  /** Receives events without addresses; default: nothing is logged. */
  log?: (e: SignalingLogEvent) => void;
  /**
   * Serve on an HTTP(S) server the caller owns and has already started listening, under `path`
   * (e.g. '/signal'), instead of listening itself; `host` and `port` are then ignored. The caller
   * routes plain requests through {@link SignalingServer.handleHttp}; `close` leaves its server open.
   */
  attach?: { server: HttpServer | HttpsServer; path: string };
  /**
   * Behind a reverse proxy: the header naming the client's address (`x-forwarded-for`: its last
   * entry), believed only on connections from `trustedProxies` (default loopback). Without it the
   * socket's address is the client's (docs/SIGNALING.md "Sources").
   */
  sourceHeader?: string;
  /** Proxies whose `sourceHeader` is believed. */
  trustedProxies?: string[];
}

/** Counters of a running server. `/health` shows the first three. */
export interface SignalingStats {
  connections: number;
  rooms: number;
  uptimeSeconds: number;
  /** Connections closed for a violation, by close code. */
  violations: Record<number, number>;
}

/** A running server. */
export interface SignalingServer {
  /** `ws://host:port/`, to give to clients. */
  url: string;
  /** The port actually bound (useful with `port: 0`). */
  port: number;
  /** The limits in force. */
  limits: SignalingLimits;
  /** Closes every client with 1001 and stops listening. Idempotent. */
  close(): Promise<void>;
  /** Current counters. */
  stats(): SignalingStats;
  /**
   * Answers a plain HTTP request for the endpoint's own paths (`/health`, or `PATH` and
   * `PATH/health` when attached) and returns true; false for any other path (left unanswered).
   */
  handleHttp(req: IncomingMessage, res: ServerResponse): boolean;
}

/** Per-connection state. */
interface Client {
  id: string;
  /** Its network prefix (source.ts). */
  source: string;
  ws: WebSocket;
  rooms: Set<string>;
  bucket: TokenBucket;
  lastPong: number;
  open: boolean;
}

/**
 * ws closes a connection whose frame exceeds `maxPayload` with 1009 by itself; this subclass turns
 * that into the documented 4001 so clients see one close-code table.
 */
class SignalingSocket extends WebSocket {
  override close(code?: number, data?: string | Buffer): void {
    if (code === 1009) return super.close(CloseCode.FRAME_TOO_BIG, 'frame too big');
    super.close(code, data);
  }
}

/**
 * Starts a signaling server and resolves once it listens.
 *
 * @throws RangeError for a bad limit; rejects if the port cannot be bound (e.g. EADDRINUSE).
 * @example
 * const server = await startSignalingServer({ port: 0, limits: { heartbeatIntervalMs: 100 } });
 * console.log(server.url); // ws://127.0.0.1:54321/
 * await server.close();
 */
export async function startSignalingServer(opts: SignalingServerOptions = {}): Promise<SignalingServer> {
  const limits = resolveLimits(opts.limits);
  const host = opts.host ?? DEFAULT_HOST;
  const port = opts.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer 0–65535, got ${port}`);
  const log = opts.log ?? (() => {});
  const startedAt = performance.now();
  const clients = new Map<string, Client>();
  const rooms = new Rooms();
  const prefixes = { v4: limits.sourcePrefixV4, v6: limits.sourcePrefixV6 };
  const trust = { header: opts.sourceHeader, trusted: opts.trustedProxies };
  const tags = new SourceTags();
  /** Open connections per source. */
  const perSource = new Map<string, number>();
  const count = (m: Map<string, number>, k: string, d: number) => {
    const n = (m.get(k) ?? 0) + d;
    if (n > 0) m.set(k, n);
    else m.delete(k);
  };
  const clientOf = new WeakMap<WebSocket, Client>();
  const violations: Record<number, number> = {};
  const announced: AnnouncedLimits = {
    maxFrameBytes: limits.maxFrameBytes,
    messagesPerSecond: limits.messagesPerSecond,
    burst: limits.burst,
    maxRoomsPerConnection: limits.maxRoomsPerConnection,
    maxRoomSize: limits.maxRoomSize,
    peerSampleSize: limits.peerSampleSize,
    heartbeatIntervalMs: limits.heartbeatIntervalMs,
    heartbeatTimeoutMs: limits.heartbeatTimeoutMs,
  };
  let closing: Promise<void> | undefined;

  const health = () => ({ ok: true, connections: clients.size, rooms: rooms.count, uptimeSeconds: Math.floor((performance.now() - startedAt) / 1000) });

  const base = opts.attach ? opts.attach.path.replace(/\/+$/, '') : '';
  if (opts.attach && !/^\/[A-Za-z0-9._~/-]+$/.test(base)) throw new RangeError(`attach.path must be a path like /signal, got ${JSON.stringify(opts.attach.path)}`);
  const handleHttp = (req: IncomingMessage, res: ServerResponse) => answerHttp(req, res, health, base);
  const http = opts.attach ? opts.attach.server : createServer((req, res) => {
    if (!handleHttp(req, res)) answerNotFound(req, res);
  });
  if (!opts.attach) http.on('clientError', (_err, socket) => socket.destroy());
  // Sockets whose upgrade is in progress are bounded too (on a server of our own; an attached
  // server's connections are its owner's, most of them plain HTTP).
  const handshaking = new Set<Socket>();
  /** Sockets whose upgrade is in progress, per source (a trusted proxy's are not counted: the source is behind it). */
  const handshakesPerSource = new Map<string, number>();
  if (!opts.attach) {
    let sockets = 0;
    http.on('connection', (socket: Socket) => {
      const proxied = trust.header !== undefined && (trust.trusted ?? ['127.0.0.1', '::1', '::ffff:127.0.0.1']).includes(socket.remoteAddress ?? '');
      const src = proxied ? null : sourceOf(socket.remoteAddress, prefixes);
      const reason = handshaking.size >= limits.maxHandshakes || sockets >= limits.maxConnections + limits.maxHandshakes ? 'too many handshakes in progress'
        : src !== null && (handshakesPerSource.get(src) ?? 0) >= limits.maxHandshakesPerSource ? 'too many handshakes in progress from one source' : '';
      if (reason) {
        violations[CloseCode.SERVER_FULL] = (violations[CloseCode.SERVER_FULL] ?? 0) + 1;
        log({ event: 'violation', code: CloseCode.SERVER_FULL, reason });
        socket.destroy();
        return;
      }
      sockets++;
      handshaking.add(socket);
      if (src !== null) count(handshakesPerSource, src, 1);
      const upgraded = () => {
        if (src !== null && handshaking.has(socket)) count(handshakesPerSource, src, -1);
      };
      (socket as Socket & { beeptraceUpgraded?: () => void }).beeptraceUpgraded = upgraded;
      const timer = setTimeout(() => {
        if (handshaking.has(socket)) socket.destroy();
      }, limits.handshakeTimeoutMs);
      timer.unref();
      socket.once('close', () => {
        sockets--;
        upgraded();
        handshaking.delete(socket);
        clearTimeout(timer);
      });
    });
  }
  const wss = new WebSocketServer({
    ...(opts.attach ? { noServer: true } : { server: http as HttpServer }),
    maxPayload: limits.maxFrameBytes,
    perMessageDeflate: false,
    WebSocket: SignalingSocket,
  });
  wss.on('error', () => {}); // re-emitted listen errors; handled by the listen promise below
  /** Attached: take upgrades on `base` only; other upgrade requests are refused. */
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.url ?? '/').split('?')[0].replace(/\/+$/, '') !== base) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  if (opts.attach) http.on('upgrade', onUpgrade);

  /** Destroys the socket if the peer does not complete the close handshake in time. */
  const closeOrTerminate = (ws: WebSocket, code: number, reason: string) => {
    ws.close(code, reason);
    setTimeout(() => {
      if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
    }, limits.closeTimeoutMs).unref();
  };

  /** Forgets a client: out of every room (empty rooms deleted) and out of the client table. */
  const drop = (c: Client) => {
    if (!c.open) return;
    c.open = false;
    for (const room of c.rooms) rooms.leave(room, c.id);
    c.rooms.clear();
    clients.delete(c.id);
    count(perSource, c.source, -1);
  };

  const violate = (c: Client, code: CloseCodeValue, reason: string) => {
    if (!c.open) return;
    drop(c);
    violations[code] = (violations[code] ?? 0) + 1;
    log({ event: 'violation', peer: c.id, code, reason });
    closeOrTerminate(c.ws, code, reason);
  };

  const send = (c: Client, msg: ServerMessage) => {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    try {
      c.ws.send(JSON.stringify(msg));
    } catch {
      // A socket that fails mid-send is closing; its 'close' handler cleans up.
    }
  };

  const error = (c: Client, code: ErrorCode, message: string, extra: { room?: string; to?: string } = {}) =>
    send(c, { t: 'error', code, message, ...extra });

  const onMessage = (c: Client, data: RawData, isBinary: boolean) => {
    if (!c.open) return;
    if (!c.bucket.take()) return violate(c, CloseCode.RATE_LIMIT, 'rate limit');
    if (isBinary) return violate(c, CloseCode.BINARY_FRAME, 'binary frames are not allowed');
    const parsed = parseClientMessage(rawToString(data));
    if (!parsed.ok) return violate(c, parsed.code, parsed.reason);
    const msg = parsed.msg;
    switch (msg.t) {
      case 'join': {
        if (c.rooms.has(msg.room)) return error(c, 'already-joined', `already in room ${msg.room}`, { room: msg.room });
        if (c.rooms.size >= limits.maxRoomsPerConnection) return violate(c, CloseCode.TOO_MANY_ROOMS, `more than ${limits.maxRoomsPerConnection} rooms`);
        if (rooms.size(msg.room) >= (isCareRoom(msg.room) ? Math.min(CARE_ROOM_SIZE, limits.maxRoomSize) : limits.maxRoomSize)) return violate(c, CloseCode.ROOM_FULL, 'room full');
        if (rooms.fromSource(msg.room, c.source) >= limits.maxRoomMembersPerSource) return violate(c, CloseCode.ROOM_FULL, 'room full for your network');
        const peers = rooms.sample(msg.room, limits.peerSampleSize, c.id);
        rooms.join(msg.room, c.id, c.source);
        c.rooms.add(msg.room);
        log({ event: 'join', peer: c.id, room: msg.room });
        return send(c, { t: 'peers', room: msg.room, peers });
      }
      case 'leave': {
        if (!c.rooms.has(msg.room)) return error(c, 'not-in-room', `not in room ${msg.room}`, { room: msg.room });
        rooms.leave(msg.room, c.id);
        c.rooms.delete(msg.room);
        log({ event: 'leave', peer: c.id, room: msg.room });
        return;
      }
      case 'signal': {
        if (!c.rooms.has(msg.room)) return error(c, 'not-in-room', `join ${msg.room} before signalling in it`, { room: msg.room });
        // a signal to oneself is never relayed (it would only echo the sender's own data back to it)
        if (msg.to === c.id) return error(c, 'unknown-peer', 'a peer cannot signal itself', { room: msg.room, to: msg.to });
        const target = clients.get(msg.to);
        if (!target || !target.open || !rooms.has(msg.room, msg.to)) {
          return error(c, 'unknown-peer', `no peer ${msg.to} in room ${msg.room}`, { room: msg.room, to: msg.to });
        }
        if (target.ws.bufferedAmount > limits.maxBufferedBytes) {
          return error(c, 'peer-busy', `peer ${msg.to} is not reading; signal dropped`, { room: msg.room, to: msg.to });
        }
        return send(target, { t: 'signal', room: msg.room, from: c.id, data: msg.data });
      }
    }
  };

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    (req.socket as Socket & { beeptraceUpgraded?: () => void }).beeptraceUpgraded?.();
    handshaking.delete(req.socket as Socket);
    ws.on('error', (err: Error & { code?: string }) => {
      // ws has already closed the connection (1009 → 4001 for oversize, 1002/1007 for protocol errors).
      const c = clientOf.get(ws);
      if (c && c.open && err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        drop(c);
        violations[CloseCode.FRAME_TOO_BIG] = (violations[CloseCode.FRAME_TOO_BIG] ?? 0) + 1;
        log({ event: 'violation', peer: c.id, code: CloseCode.FRAME_TOO_BIG, reason: 'frame too big' });
      } else if (c) drop(c);
      setTimeout(() => ws.readyState !== WebSocket.CLOSED && ws.terminate(), limits.closeTimeoutMs).unref();
    });
    if (closing) return closeOrTerminate(ws, CloseCode.GOING_AWAY, 'server shutting down');
    if (clients.size >= limits.maxConnections) {
      violations[CloseCode.SERVER_FULL] = (violations[CloseCode.SERVER_FULL] ?? 0) + 1;
      log({ event: 'violation', code: CloseCode.SERVER_FULL, reason: 'server full' });
      return closeOrTerminate(ws, CloseCode.SERVER_FULL, 'server full');
    }
    const source = sourceOf(clientAddress(req, trust), prefixes);
    if ((perSource.get(source) ?? 0) >= limits.maxConnectionsPerSource) {
      violations[CloseCode.SOURCE_FULL] = (violations[CloseCode.SOURCE_FULL] ?? 0) + 1;
      log({ event: 'violation', code: CloseCode.SOURCE_FULL, reason: 'too many connections from your network' });
      return closeOrTerminate(ws, CloseCode.SOURCE_FULL, 'too many connections from your network');
    }
    count(perSource, source, 1);
    const c: Client = {
      // the source's tag of the day, then 12 random bytes (source.ts)
      id: tags.tag(source) + randomBytes(12).toString('hex'),
      source,
      ws,
      rooms: new Set(),
      bucket: new TokenBucket(limits.messagesPerSecond, limits.burst),
      lastPong: performance.now(),
      open: true,
    };
    clients.set(c.id, c);
    clientOf.set(ws, c);
    ws.on('message', (data, isBinary) => onMessage(c, data, isBinary));
    ws.on('ping', () => {
      if (c.open && !c.bucket.take()) violate(c, CloseCode.RATE_LIMIT, 'rate limit (pings)');
    });
    ws.on('pong', () => {
      c.lastPong = performance.now();
    });
    ws.on('close', (code) => {
      const wasOpen = c.open;
      drop(c);
      if (wasOpen) log({ event: 'disconnect', peer: c.id, code });
    });
    log({ event: 'connect', peer: c.id });
    send(c, { t: 'welcome', id: c.id, limits: announced });
  });

  const heartbeat = setInterval(() => {
    const now = performance.now();
    for (const c of [...clients.values()]) {
      if (now - c.lastPong > limits.heartbeatTimeoutMs) {
        violate(c, CloseCode.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
        continue;
      }
      try {
        c.ws.ping();
      } catch {
        // not open any more; 'close' cleans up
      }
    }
  }, limits.heartbeatIntervalMs);
  heartbeat.unref();

  if (!opts.attach) await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      clearInterval(heartbeat);
      reject(new Error(`signaling server cannot listen on ${host}:${port}: ${err.message}`));
    };
    http.once('error', onError);
    http.listen(port, host, () => {
      http.off('error', onError);
      http.on('error', () => {});
      resolve();
    });
  });

  const addr = http.address() as AddressInfo | null;
  if (!addr) throw new Error('attach.server must be listening before the signaling server attaches to it');
  const bound = addr.port;
  const scheme = 'setSecureContext' in http ? 'wss' : 'ws';
  const urlHost = opts.attach ? (addr.address === '0.0.0.0' || addr.address === '::' ? '127.0.0.1' : addr.address) : host;
  const url = `${scheme}://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${bound}${base || '/'}`;
  log({ event: 'listening', url });

  return {
    url,
    port: bound,
    limits,
    stats: () => ({ ...health(), violations: { ...violations } }),
    handleHttp,
    close: () =>
      (closing ??= (async () => {
        clearInterval(heartbeat);
        log({ event: 'shutdown' });
        for (const c of [...clients.values()]) drop(c);
        for (const ws of wss.clients) closeOrTerminate(ws, CloseCode.GOING_AWAY, 'server shutting down');
        for (const socket of handshaking) socket.destroy();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        if (opts.attach) {
          http.off('upgrade', onUpgrade);
          return;
        }
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
      })()),
  };
}

/** Plain HTTP: `GET BASE/health`, 426 on `BASE` (or `/`) without an upgrade; false for other paths. */
function answerHttp(req: IncomingMessage, res: ServerResponse, health: () => object, base: string): boolean {
  const path = (req.url ?? '/').split('?')[0];
  const json = jsonAnswer(req, res);
  if (path === `${base}/health`) {
    if (req.method !== 'GET' && req.method !== 'HEAD') json(405, { ok: false, error: `use GET ${base}/health` }, { allow: 'GET, HEAD' });
    else json(200, health());
    return true;
  }
  if (path === (base || '/') || path === `${base}/`) {
    json(426, { ok: false, error: 'this is a WebSocket endpoint; connect with ws://' }, { upgrade: 'websocket' });
    return true;
  }
  return false;
}

function answerNotFound(req: IncomingMessage, res: ServerResponse): void {
  jsonAnswer(req, res)(404, { ok: false, error: 'not found; the paths are / (WebSocket) and /health' });
}

function jsonAnswer(req: IncomingMessage, res: ServerResponse) {
  return (status: number, body: object, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      'access-control-allow-origin': '*',
      ...headers,
    });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
}

/** A text frame's bytes as a string (ws hands text frames over as Buffer by default). */
function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
