/**
 * The signaling wire protocol: message shapes, room names, close codes and the parser for what
 * clients send. Pure functions and constants only (no sockets, no timers), so the server and the
 * tests share one definition. The prose version is docs/SIGNALING.md.
 *
 * This module knows nothing of the ledger: a room is a string, a signal's `data` is opaque JSON.
 */
import type { SignalingLimits } from './limits.ts';

/**
 * Room names: `beeptrace/v1/<region>/<chain>` (region 1–32 of `[a-z0-9-]`), the region's pairing
 * room `beeptrace/v1/<region>/pair` (QR pairing handshakes, docs/PROTOCOL.md §13.1), the region's
 * directory of certified full nodes `beeptrace/v1/<region>/certified` (docs/NET.md §7.3), and care
 * rooms `beeptrace/v1/care/<32 hex>` where the two devices of one pairing meet (§13.3; at most
 * {@link CARE_ROOM_SIZE} members).
 */
export const ROOM_PATTERN = /^beeptrace\/v1\/(?:[a-z0-9-]{1,32}\/(?:tracing|notification|pair|certified)|care\/[0-9a-f]{32})$/;

/** Members a care room holds: the two devices of one pairing. */
export const CARE_ROOM_SIZE = 2;

/** True for a care room name. @example isCareRoom('beeptrace/v1/care/' + '0'.repeat(32)) === true */
export function isCareRoom(room: string): boolean {
  return room.startsWith('beeptrace/v1/care/');
}

/**
 * Peer ids: 16 bytes in lowercase hex, fresh for every connection — the first 4 the source tag of
 * the client's network prefix (source.ts), the other 12 random.
 */
export const PEER_ID_PATTERN = /^[0-9a-f]{32}$/;

/** The deepest nesting of arrays/objects accepted inside a signal's `data` (SDP and ICE need 2–3). */
export const MAX_DATA_DEPTH = 32;

/**
 * Close codes the server uses when a client breaks a rule. Every violation closes the connection
 * with one of these and a short reason. 1001 is used on shutdown.
 *
 * @example
 * ws.on('close', (code) => { if (code === CloseCode.RATE_LIMIT) slowDown(); });
 */
export const CloseCode = {
  /** Not JSON, not an object, unknown `t`, a missing or mistyped field. */
  BAD_MESSAGE: 4000,
  /** A frame (message) larger than `maxFrameBytes`. */
  FRAME_TOO_BIG: 4001,
  /** More messages (or pings) than the token bucket allows. */
  RATE_LIMIT: 4002,
  /** A join beyond `maxRoomsPerConnection`. */
  TOO_MANY_ROOMS: 4003,
  /** A join to a room that already has `maxRoomSize` members. */
  ROOM_FULL: 4004,
  /** A room name that does not match {@link ROOM_PATTERN}. */
  BAD_ROOM: 4005,
  /** No pong within `heartbeatTimeoutMs`. */
  HEARTBEAT_TIMEOUT: 4006,
  /** Already `maxConnections` connections open. */
  SERVER_FULL: 4007,
  /** A binary frame; only JSON text frames are allowed. */
  BINARY_FRAME: 4008,
  /** Already `maxConnectionsPerSource` connections open from the client's source (its network prefix). */
  SOURCE_FULL: 4009,
  /** The server is shutting down (standard "going away"). */
  GOING_AWAY: 1001,
} as const;

/** One of the {@link CloseCode} values. */
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Codes of recoverable `error` messages (the connection stays open).
 * - `unknown-peer`: `to` is not a member of that room (or does not exist; the two are not told apart).
 * - `not-in-room`: the sender signalled in, or left, a room it has not joined.
 * - `already-joined`: the sender joined a room it is already in.
 * - `peer-busy`: the recipient is not reading; its send buffer is full and the signal was dropped.
 */
export type ErrorCode = 'unknown-peer' | 'not-in-room' | 'already-joined' | 'peer-busy';

/** The limits a server enforces, announced in `welcome` (the operational ones stay private). */
export type AnnouncedLimits = Pick<
  SignalingLimits,
  'maxFrameBytes' | 'messagesPerSecond' | 'burst' | 'maxRoomsPerConnection' | 'maxRoomSize' | 'peerSampleSize' | 'heartbeatIntervalMs' | 'heartbeatTimeoutMs'
>;

/** Messages a client sends. Unknown extra fields are ignored. */
export type ClientMessage =
  | { t: 'join'; room: string }
  | { t: 'leave'; room: string }
  | { t: 'signal'; room: string; to: string; data: unknown };

/** Messages the server sends. */
export type ServerMessage =
  | { t: 'welcome'; id: string; limits: AnnouncedLimits }
  | { t: 'peers'; room: string; peers: string[] }
  | { t: 'signal'; room: string; from: string; data: unknown }
  | { t: 'error'; code: ErrorCode; message: string; room?: string; to?: string };

/** The outcome of {@link parseClientMessage}: a message, or the close code and reason to use. */
export type ParseResult =
  | { ok: true; msg: ClientMessage }
  | { ok: false; code: CloseCodeValue; reason: string };

/**
 * True if `room` is a valid room name.
 *
 * @example
 * isRoomName('beeptrace/v1/r1/notification'); // true
 * isRoomName('beeptrace/v1/R1/tracing');      // false (upper case)
 */
export function isRoomName(room: unknown): room is string {
  return typeof room === 'string' && ROOM_PATTERN.test(room);
}

/**
 * True if `value` nests arrays/objects no deeper than `max` levels (iterative, cannot overflow).
 *
 * @example
 * depthWithin({ sdp: 'v=0' }, 32); // true
 */
export function depthWithin(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d + 1 > max) return false;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return true;
}

/**
 * Parses and validates one text frame from a client. Never throws: anything wrong yields the
 * close code and a short reason (≤ 123 bytes, the WebSocket limit).
 *
 * @example
 * parseClientMessage('{"t":"join","room":"beeptrace/v1/r1/tracing"}');
 * // { ok: true, msg: { t: 'join', room: 'beeptrace/v1/r1/tracing' } }
 * parseClientMessage('hello'); // { ok: false, code: 4000, reason: 'not JSON' }
 */
export function parseClientMessage(text: string): ParseResult {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return bad(CloseCode.BAD_MESSAGE, 'not JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return bad(CloseCode.BAD_MESSAGE, 'not a JSON object');
  const m = v as Record<string, unknown>;
  if (m.t !== 'join' && m.t !== 'leave' && m.t !== 'signal') {
    return bad(CloseCode.BAD_MESSAGE, typeof m.t === 'string' ? 'unknown message type' : 'missing "t"');
  }
  if (typeof m.room !== 'string') return bad(CloseCode.BAD_MESSAGE, `"${m.t}" needs a string "room"`);
  if (!isRoomName(m.room)) return bad(CloseCode.BAD_ROOM, 'bad room name');
  if (m.t !== 'signal') return { ok: true, msg: { t: m.t, room: m.room } };
  if (typeof m.to !== 'string' || !PEER_ID_PATTERN.test(m.to)) return bad(CloseCode.BAD_MESSAGE, '"to" must be a 32-hex peer id');
  if (!('data' in m) || m.data === undefined) return bad(CloseCode.BAD_MESSAGE, '"signal" needs "data"');
  if (!depthWithin(m.data, MAX_DATA_DEPTH)) return bad(CloseCode.BAD_MESSAGE, `"data" nested deeper than ${MAX_DATA_DEPTH}`);
  return { ok: true, msg: { t: 'signal', room: m.room, to: m.to, data: m.data } };
}

function bad(code: CloseCodeValue, reason: string): ParseResult {
  return { ok: false, code, reason };
}
