/**
 * `BlockStore` on plain files, for Node full nodes.
 *
 * Layout of `dir`:
 * - `blocks/<chain>-<YYYY-MM-DD>.seg`: one append-only segment per (chain, UTC day of block time).
 *   Record = `[u32 BE payload length][u32 BE CRC-32 of payload][payload]`,
 *   payload = `id (32) ‖ chain (u8) ‖ kind (u8) ‖ time (f64 BE, ms) ‖ block bytes`.
 * - `values/<hex of UTF-8 key>.val`: one small file per value key. Hex keeps every key (even
 *   `../x`, `a/b`, `CON`, mixed case on case-insensitive disks) a plain name inside `values/`.
 *
 * Open: every segment is scanned and an in-memory index (id → segment, offset) is rebuilt.
 * - A record whose length field is usable but whose CRC fails is skipped and the scan goes on:
 *   records after it are kept (framing is intact). If it is the file's last record it is a
 *   torn write and is truncated away.
 * - A header cut short, a length out of range or running past end of file means framing is lost
 *   from there: the file is truncated at that record. We do not hunt for the next plausible
 *   header, because block bodies come from the network and could embed a forged frame.
 * - What was skipped or truncated is reported in `FileStore.recovery`.
 *
 * Writes (group commit): `putBlock` queues a framed record; one flush job at a time appends
 * everything queued to its segments (one write per segment), `fdatasync`s them (and the
 * directory when a segment is new), then indexes the records and resolves every waiting put.
 * Puts that arrive during a flush ride the next one. A record is visible (get/has/list) once
 * durable; a second put of an id still in flight waits for the first.
 *
 * Pruning `deleteBlocksBefore(chain, t)`: segments of days before `t`'s day are unlinked; the
 * segment of `t`'s own day is rewritten without the records older than `t` (temp file, fsync,
 * rename over, fsync dir), so disk and index always agree and nothing pruned comes back.
 * Flushes and pruning are serialised; reads in flight keep their old file handle until done.
 *
 * Values: written to a temp file, fsync'ed, renamed over the old one, directory fsync'ed.
 * One process per directory (there is no lock file).
 *
 * @example
 * const store = await openFileStore('/var/lib/beeptrace');
 * await store.putBlock({ id, chain: Chain.TRACING, time, kind }, bytes); // durable now
 * await store.close();
 * @module
 */
import { link, mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import type { BlockMeta, BlockStore } from '../core/store.ts';
import { isoDay, type ChainId } from '../core/types.ts';
import { toHex, utf8 } from '../core/bytes.ts';
import { checkBound, checkChain, checkId, checkKey, checkPut, checkValue } from './memory-store.ts';

const DAY_MS = 86_400_000;
/** Frame header: u32 payload length, u32 CRC-32. */
const FRAME_HEADER = 8;
/** Payload prefix before the block bytes: id 32, chain 1, kind 1, time 8. */
const META_BYTES = 42;
/** Largest payload accepted, on write and when scanning (a bigger length field means corruption). */
const MAX_PAYLOAD = 64 * 1024 * 1024;
const SEG_RE = /^([12])-(\d{4}-\d{2}-\d{2})\.seg$/;
const RW = constants.O_RDWR | constants.O_CREAT;

/**
 * What `openFileStore` repaired. Offsets are byte positions in the named segment file.
 * @example
 * for (const t of store.recovery.truncated) log.warn(`${t.file}: cut ${t.bytes} bytes at ${t.at}: ${t.reason}`);
 */
export interface Recovery {
  /** Files cut back to their last good record (torn write, unusable length field). */
  truncated: { file: string; at: number; bytes: number; reason: string }[];
  /** Records left in place but not indexed (CRC mismatch with intact framing, misplaced, duplicate). */
  skipped: { file: string; offset: number; reason: string }[];
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** zlib.crc32 exists from Node 20.15 / 22.2; ~10× faster than the table loop below. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 (IEEE 802.3, as zlib/PNG): native when available. @example crc32(utf8('123456789')) === 0xcbf43926 */
export function crc32(b: Uint8Array): number {
  return nativeCrc32 ? nativeCrc32(b) >>> 0 : crc32Portable(b);
}

/** CRC-32 in plain JS (the fallback of `crc32` on older Node). @example crc32Portable(utf8('123456789')) === 0xcbf43926 */
export function crc32Portable(b: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 255] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** One framed record: header, then id ‖ chain ‖ kind ‖ time ‖ bytes. */
function encodeRecord(m: BlockMeta, bytes: Uint8Array): Uint8Array {
  const len = META_BYTES + bytes.length;
  const buf = new Uint8Array(FRAME_HEADER + len);
  const dv = new DataView(buf.buffer);
  buf.set(m.id, 8);
  buf[40] = m.chain;
  buf[41] = m.kind;
  dv.setFloat64(42, m.time);
  buf.set(bytes, FRAME_HEADER + META_BYTES);
  dv.setUint32(0, len);
  dv.setUint32(4, crc32(buf.subarray(FRAME_HEADER)));
  return buf;
}

interface Parsed {
  /** Valid only during the callback (a view into the scan buffer). */
  id: Uint8Array;
  chain: number;
  kind: number;
  time: number;
}

/**
 * Scan one segment, calling `onRecord` for each record with a good CRC (it returns a reason to
 * skip, or undefined). Truncates the file where framing is lost. Returns the valid size.
 */
async function scanSegment(
  h: FileHandle,
  name: string,
  rec: Recovery,
  onRecord: (offset: number, size: number, p: Parsed) => string | undefined,
): Promise<number> {
  const size = (await h.stat()).size;
  let buf = new Uint8Array(1 << 20);
  let bufPos = 0;
  let have = 0;
  /** Bytes [p, p + n) of the file, read in 1 MiB windows; undefined past end of file. */
  const bytesAt = async (p: number, n: number): Promise<Uint8Array | undefined> => {
    if (p + n > size) return undefined;
    if (p < bufPos || p + n > bufPos + have) {
      if (n > buf.length) buf = new Uint8Array(n);
      const want = Math.min(buf.length, size - p);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await h.read(buf, got, want - got, p + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      bufPos = p;
      have = got;
      if (got < n) return undefined;
    }
    return buf.subarray(p - bufPos, p - bufPos + n);
  };
  let p = 0;
  let reason = '';
  while (p < size) {
    const frame = await bytesAt(p, FRAME_HEADER);
    if (!frame) {
      reason = `header cut short (${size - p} of ${FRAME_HEADER} bytes)`;
      break;
    }
    const len = new DataView(frame.buffer, frame.byteOffset, 8).getUint32(0);
    const crc = new DataView(frame.buffer, frame.byteOffset, 8).getUint32(4);
    if (len < META_BYTES || len > MAX_PAYLOAD) {
      reason = `length field ${len} out of range [${META_BYTES}, ${MAX_PAYLOAD}]`;
      break;
    }
    const payload = await bytesAt(p + FRAME_HEADER, len);
    if (!payload) {
      reason = `record of ${len} bytes runs past end of file (torn write)`;
      break;
    }
    const end = p + FRAME_HEADER + len;
    if (crc32(payload) !== crc) {
      if (end === size) {
        reason = 'last record fails its CRC (torn write)';
        break;
      }
      rec.skipped.push({ file: name, offset: p, reason: 'CRC mismatch' });
      p = end;
      continue;
    }
    const dv = new DataView(payload.buffer, payload.byteOffset, META_BYTES);
    const parsed: Parsed = { id: payload.subarray(0, 32), chain: payload[32], kind: payload[33], time: dv.getFloat64(34) };
    const why = onRecord(p, len, parsed);
    if (why) rec.skipped.push({ file: name, offset: p, reason: why });
    p = end;
  }
  if (p < size) {
    await h.truncate(p);
    await h.sync();
    rec.truncated.push({ file: name, at: p, bytes: size - p, reason });
  }
  return p;
}

interface SegFile {
  handle: FileHandle;
  /** Reads in flight on this handle. */
  users: number;
  retired: boolean;
}
interface Segment {
  chain: ChainId;
  day: number;
  path: string;
  file: SegFile;
  /** Bytes of valid records (= end of file). */
  size: number;
  /** Sorted by (time, key). */
  entries: Entry[];
}
interface Entry {
  /** The id as a 32-char binary string (one char per byte: compact, and `<` is byte order). */
  key: string;
  time: number;
  kind: number;
  seg: Segment;
  /** Offset of the frame header in the segment file. */
  offset: number;
  /** Payload length. */
  size: number;
}
interface Pending {
  key: string;
  meta: BlockMeta;
  frame: Uint8Array;
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const idKey = (id: Uint8Array): string => String.fromCharCode.apply(null, id as unknown as number[]);
function keyId(k: string): Uint8Array {
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++) b[i] = k.charCodeAt(i);
  return b;
}
const before = (e: Entry, time: number, key: string): boolean => e.time < time || (e.time === time && e.key < key);
function lowerBound(arr: Entry[], time: number, key = ''): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(arr[mid], time, key)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

async function fsyncDir(path: string): Promise<void> {
  const h = await open(path, 'r');
  try {
    await h.sync();
  } catch (e) {
    // Some platforms (Windows) cannot fsync a directory; renames there are durable anyway.
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    await h.close();
  }
}

async function writeAll(h: FileHandle, buf: Uint8Array, pos: number): Promise<void> {
  for (let off = 0; off < buf.length; ) {
    const { bytesWritten } = await h.write(buf, off, buf.length - off, pos + off);
    if (bytesWritten <= 0) throw new Error(`short write at ${pos + off}`);
    off += bytesWritten;
  }
}

/**
 * The segment-file `BlockStore`. Create it with `openFileStore`.
 * @example
 * const store = await openFileStore(dir);
 * console.log(store.recovery); // what the last open had to repair
 */
export class FileStore implements BlockStore {
  /** What opening had to repair: truncated tails and skipped (CRC-failed or misplaced) records. */
  readonly recovery: Recovery = { truncated: [], skipped: [] };
  private readonly byKey = new Map<string, Entry>();
  private readonly segments: Record<ChainId, Map<number, Segment>> = { 1: new Map(), 2: new Map() };
  private readonly inflight = new Map<string, Pending>();
  private queue: Pending[] = [];
  private flushQueued = false;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly valueOps = new Set<Promise<unknown>>();
  private tmpSeq = 0;
  private closed = false;
  private readonly blocksDir: string;
  private readonly valuesDir: string;

  private constructor(readonly dir: string) {
    this.blocksDir = join(dir, 'blocks');
    this.valuesDir = join(dir, 'values');
  }

  /** Same as `openFileStore(dir)`. @example const store = await FileStore.open('/data') */
  static async open(dir: string): Promise<FileStore> {
    if (typeof dir !== 'string' || dir === '') throw new TypeError(`openFileStore: dir must be a non-empty path string, got ${JSON.stringify(dir)}`);
    const store = new FileStore(dir);
    try {
      await store.load();
    } catch (e) {
      await store.close(); // release the handles opened so far
      throw new Error(`openFileStore: cannot open ${dir}: ${(e as Error).message}`, { cause: e });
    }
    return store;
  }

  /** Create the directories, drop temp files, scan every segment into the index. */
  private async load(): Promise<void> {
    await mkdir(this.blocksDir, { recursive: true });
    await mkdir(this.valuesDir, { recursive: true });
    for (const d of [this.blocksDir, this.valuesDir]) {
      for (const name of await readdir(d)) if (name.endsWith('.tmp')) await unlink(join(d, name));
    }
    for (const name of (await readdir(this.blocksDir)).sort()) {
      const m = SEG_RE.exec(name);
      if (!m) continue;
      const chain = Number(m[1]) as ChainId;
      const day = Date.parse(m[2]) / DAY_MS;
      if (!Number.isInteger(day) || isoDay(day) !== m[2]) continue;
      const path = join(this.blocksDir, name);
      const handle = await open(path, RW);
      const seg: Segment = { chain, day, path, file: { handle, users: 0, retired: false }, size: 0, entries: [] };
      this.segments[chain].set(day, seg);
      seg.size = await scanSegment(handle, name, this.recovery, (offset, size, p) => {
        const misplaced = p.chain !== chain || !Number.isInteger(p.time) || Math.floor(p.time / DAY_MS) !== day;
        const key = idKey(p.id);
        if (misplaced || this.byKey.has(key)) return misplaced ? 'chain or day does not match the file' : 'duplicate id';
        const e: Entry = { key, time: p.time, kind: p.kind, seg, offset, size };
        seg.entries.push(e);
        this.byKey.set(key, e);
        return undefined;
      });
      seg.entries.sort((a, b) => a.time - b.time || (a.key < b.key ? -1 : 1));
    }
  }

  private check(where: string): void {
    if (this.closed) throw new Error(`FileStore.${where}: store at ${this.dir} is closed`);
  }

  /** Run `fn` after every flush/prune queued before it (one writer at a time). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.tail.then(fn);
    this.tail = r.catch(() => undefined);
    return r;
  }

  async putBlock(meta: BlockMeta, bytes: Uint8Array): Promise<void> {
    this.check('putBlock');
    const m = checkPut(meta, bytes, 'FileStore.putBlock');
    if (bytes.length > MAX_PAYLOAD - META_BYTES) {
      throw new RangeError(`FileStore.putBlock: block of ${bytes.length} bytes is over the ${MAX_PAYLOAD - META_BYTES}-byte limit`);
    }
    const key = idKey(m.id);
    if (this.byKey.has(key)) return;
    const waiting = this.inflight.get(key);
    if (waiting) return waiting.promise;
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    const p: Pending = { key, meta: m, frame: encodeRecord(m, bytes), promise, resolve, reject };
    this.inflight.set(key, p);
    this.queue.push(p);
    if (!this.flushQueued) {
      this.flushQueued = true;
      void this.exclusive(() => this.flush());
    }
    return promise;
  }

  /** Append and fsync everything queued; one write + fdatasync per touched segment. */
  private async flush(): Promise<void> {
    this.flushQueued = false;
    const batch = this.queue;
    this.queue = [];
    const groups = new Map<string, Pending[]>();
    for (const p of batch) {
      const g = `${p.meta.chain}-${Math.floor(p.meta.time / DAY_MS)}`;
      (groups.get(g) ?? groups.set(g, []).get(g)!).push(p);
    }
    await Promise.all([...groups.values()].map((items) => this.appendGroup(items)));
  }

  private async appendGroup(items: Pending[]): Promise<void> {
    const chain = items[0].meta.chain;
    const day = Math.floor(items[0].meta.time / DAY_MS);
    let seg = this.segments[chain].get(day);
    const path = join(this.blocksDir, `${chain}-${isoDay(day)}.seg`);
    try {
      let isNew = false;
      if (!seg) {
        const handle = await open(path, RW);
        seg = { chain, day, path, file: { handle, users: 0, retired: false }, size: 0, entries: [] };
        this.segments[chain].set(day, seg);
        isNew = true;
      }
      let total = 0;
      for (const p of items) total += p.frame.length;
      const buf = new Uint8Array(total);
      let off = 0;
      for (const p of items) {
        buf.set(p.frame, off);
        off += p.frame.length;
      }
      await writeAll(seg.file.handle, buf, seg.size);
      await seg.file.handle.datasync();
      if (isNew) await fsyncDir(this.blocksDir);
      let at = seg.size;
      for (const p of items) {
        const e: Entry = { key: p.key, time: p.meta.time, kind: p.meta.kind, seg, offset: at, size: p.frame.length - FRAME_HEADER };
        seg.entries.splice(lowerBound(seg.entries, e.time, e.key), 0, e);
        this.byKey.set(p.key, e);
        at += p.frame.length;
      }
      seg.size = at;
      for (const p of items) p.resolve();
    } catch (e) {
      if (seg) await seg.file.handle.truncate(seg.size).catch(() => undefined);
      const err = new Error(`FileStore.putBlock: appending ${items.length} block(s) to ${path} failed: ${(e as Error).message}`, { cause: e });
      for (const p of items) p.reject(err);
    } finally {
      for (const p of items) this.inflight.delete(p.key);
    }
  }

  async getBlock(id: Uint8Array): Promise<Uint8Array | undefined> {
    this.check('getBlock');
    const key = idKey(checkId(id, 'FileStore.getBlock'));
    const e = this.byKey.get(key);
    if (!e) return undefined;
    const f = e.seg.file; // snapshot handle and offset together: a prune may swap both later
    const { offset, size } = e;
    f.users++;
    try {
      const buf = new Uint8Array(FRAME_HEADER + size);
      const { bytesRead } = await f.handle.read(buf, 0, buf.length, offset);
      const dv = new DataView(buf.buffer);
      const payload = buf.subarray(FRAME_HEADER);
      if (bytesRead !== buf.length || dv.getUint32(0) !== size || dv.getUint32(4) !== crc32(payload) || idKey(payload.subarray(0, 32)) !== key) {
        throw new Error(`FileStore.getBlock: block ${toHex(id)} at ${e.seg.path}:${offset} fails its length/CRC/id check (disk corruption?)`);
      }
      return buf.slice(FRAME_HEADER + META_BYTES);
    } finally {
      this.release(f);
    }
  }

  private release(f: SegFile): void {
    if (--f.users === 0 && f.retired) void f.handle.close().catch(() => undefined);
  }

  private retire(f: SegFile): Promise<void> {
    f.retired = true;
    return f.users === 0 ? f.handle.close().catch(() => undefined) : Promise.resolve();
  }

  async hasBlock(id: Uint8Array): Promise<boolean> {
    this.check('hasBlock');
    return this.byKey.has(idKey(checkId(id, 'FileStore.hasBlock')));
  }

  private sorted(chain: ChainId): Segment[] {
    return [...this.segments[chain].values()].sort((a, b) => a.day - b.day);
  }

  async listBlocks(chain: ChainId, fromTime: number, toTime: number): Promise<BlockMeta[]> {
    this.check('listBlocks');
    checkChain(chain, 'FileStore.listBlocks');
    checkBound(fromTime, 'FileStore.listBlocks fromTime');
    checkBound(toTime, 'FileStore.listBlocks toTime');
    const out: BlockMeta[] = [];
    for (const seg of this.sorted(chain)) {
      if (seg.day < Math.floor(fromTime / DAY_MS) || seg.day > Math.floor(toTime / DAY_MS)) continue;
      const hi = lowerBound(seg.entries, toTime);
      for (let i = lowerBound(seg.entries, fromTime); i < hi; i++) {
        const e = seg.entries[i];
        out.push({ id: keyId(e.key), chain, time: e.time, kind: e.kind });
      }
    }
    return out;
  }

  async countBlocks(chain?: ChainId): Promise<number> {
    this.check('countBlocks');
    if (chain === undefined) return this.byKey.size;
    let n = 0;
    for (const seg of this.segments[checkChain(chain, 'FileStore.countBlocks')].values()) n += seg.entries.length;
    return n;
  }

  async deleteBlocksBefore(chain: ChainId, time: number): Promise<number> {
    this.check('deleteBlocksBefore');
    checkChain(chain, 'FileStore.deleteBlocksBefore');
    checkBound(time, 'FileStore.deleteBlocksBefore time');
    return this.exclusive(async () => {
      let n = 0;
      let unlinked = false;
      const cutDay = Math.floor(time / DAY_MS);
      for (const seg of this.sorted(chain)) {
        if (seg.day > cutDay) break;
        const cut = seg.day < cutDay ? seg.entries.length : lowerBound(seg.entries, time);
        n += cut;
        if (seg.day < cutDay || (cut > 0 && cut === seg.entries.length)) {
          await this.dropSegment(seg); // also drops empty or all-corrupt files of old days
          unlinked = true;
        } else if (cut > 0) await this.rewriteSegment(seg, cut);
      }
      if (unlinked) await fsyncDir(this.blocksDir);
      return n;
    });
  }

  private async dropSegment(seg: Segment): Promise<void> {
    this.segments[seg.chain].delete(seg.day);
    for (const e of seg.entries) this.byKey.delete(e.key);
    await this.retire(seg.file);
    await unlink(seg.path);
  }

  /** Rewrite `seg` without its first `cut` entries: temp file, fsync, rename, then swap the index. */
  private async rewriteSegment(seg: Segment, cut: number): Promise<void> {
    const keep = seg.entries.slice(cut).sort((a, b) => a.offset - b.offset);
    const tmp = `${seg.path}.tmp`;
    const out = await open(tmp, 'w+');
    const offsets: number[] = [];
    let swapped = false;
    try {
      let outSize = 0;
      let chunk: Uint8Array[] = [];
      let chunkBytes = 0;
      const spill = async () => {
        const buf = new Uint8Array(chunkBytes);
        let o = 0;
        for (const c of chunk) buf.set(c, (o += c.length) - c.length);
        await writeAll(out, buf, outSize);
        outSize += chunkBytes;
        chunk = [];
        chunkBytes = 0;
      };
      for (const e of keep) {
        const frame = new Uint8Array(FRAME_HEADER + e.size);
        await seg.file.handle.read(frame, 0, frame.length, e.offset);
        offsets.push(outSize + chunkBytes);
        chunk.push(frame);
        chunkBytes += frame.length;
        if (chunkBytes >= 1 << 20) await spill();
      }
      await spill();
      await out.sync();
      await rename(tmp, seg.path);
      const old = seg.file;
      seg.file = { handle: out, users: 0, retired: false };
      swapped = true;
      keep.forEach((e, i) => (e.offset = offsets[i]));
      for (const e of seg.entries.slice(0, cut)) this.byKey.delete(e.key);
      seg.entries = seg.entries.slice(cut);
      seg.size = outSize;
      await this.retire(old);
      await fsyncDir(this.blocksDir);
    } catch (e) {
      if (!swapped) {
        await out.close().catch(() => undefined);
        await unlink(tmp).catch(() => undefined);
      }
      throw new Error(`FileStore.deleteBlocksBefore: rewriting ${seg.path} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  private valuePath(key: string): string {
    return join(this.valuesDir, `${toHex(utf8(key))}.val`);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.valueOps.add(p);
    void p.finally(() => this.valueOps.delete(p)).catch(() => undefined);
    return p;
  }

  async getValue(key: string): Promise<Uint8Array | undefined> {
    this.check('getValue');
    const path = this.valuePath(checkKey(key, 'FileStore.getValue'));
    try {
      return new Uint8Array(await readFile(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Write `data` to a new temp file in the values folder and fsync it; returns its path. */
  private async syncedTemp(data: Uint8Array): Promise<string> {
    const tmp = join(this.valuesDir, `${process.pid}-${++this.tmpSeq}.tmp`); // short: keys may be long
    const h = await open(tmp, 'w');
    try {
      await writeAll(h, data, 0);
      await h.sync();
    } finally {
      await h.close();
    }
    return tmp;
  }

  async setValue(key: string, value: Uint8Array): Promise<void> {
    this.check('setValue');
    const path = this.valuePath(checkKey(key, 'FileStore.setValue'));
    const data = checkValue(value, 'FileStore.setValue').slice();
    return this.track(
      (async () => {
        const tmp = await this.syncedTemp(data);
        await rename(tmp, path);
        await fsyncDir(this.valuesDir);
      })(),
    );
  }

  /**
   * The value of `key`, or `create()` stored and returned if there is none. Atomic across
   * processes: the new value is written to a temp file, fsync'ed, then hard-linked to its name,
   * which fails if the name exists (then the existing value is returned).
   * @example const seed = await store.getOrCreateValue('device/seed', () => c.randomBytes(32));
   */
  async getOrCreateValue(key: string, create: () => Uint8Array): Promise<Uint8Array> {
    const old = await this.getValue(key);
    if (old) return old;
    const path = this.valuePath(checkKey(key, 'FileStore.getOrCreateValue'));
    const data = checkValue(create(), 'FileStore.getOrCreateValue').slice();
    return this.track(
      (async () => {
        const tmp = await this.syncedTemp(data);
        try {
          await link(tmp, path);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          return new Uint8Array(await readFile(path));
        } finally {
          await unlink(tmp).catch(() => undefined);
        }
        await fsyncDir(this.valuesDir);
        return data;
      })(),
    );
  }

  async deleteValue(key: string): Promise<void> {
    this.check('deleteValue');
    const path = this.valuePath(checkKey(key, 'FileStore.deleteValue'));
    return this.track(
      (async () => {
        try {
          await unlink(path);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw e;
        }
        await fsyncDir(this.valuesDir);
      })(),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.exclusive(async () => undefined); // every queued flush and prune has finished
    await Promise.allSettled([...this.valueOps]);
    for (const chain of [1, 2] as const) for (const seg of this.segments[chain].values()) await this.retire(seg.file);
  }
}

/**
 * Open (creating if needed) a segment-file store in `dir`, repairing torn or corrupt records.
 * @example
 * const store = await openFileStore('./data/node1');
 * if (store.recovery.truncated.length) console.warn('repaired', store.recovery);
 */
export function openFileStore(dir: string): Promise<FileStore> {
  return FileStore.open(dir);
}
