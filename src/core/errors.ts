/**
 * Typed errors of the BeepTrace core. Every error says what was wrong and why,
 * and carries a stable machine-readable `code`.
 *
 * - `CodecError`: bytes that are not a canonical encoding (truncated, trailing bytes,
 *   out-of-range field, unknown tag, over a size limit).
 * - `RejectError`: a well-formed block that breaks a ledger acceptance rule
 *   (bad signature, unauthorised author, proof-of-work, time window, unknown parents).
 * - `InputError`: bad input from a user or an operator (a trace file line, a policy file,
 *   a QR payload), with the place it came from.
 *
 * Wrong JS types from a caller are `TypeError`; wrong lengths are `RangeError` (as in noble).
 *
 * @example
 * try { decodeBlock(bytes) } catch (e) { if (e instanceof CodecError) console.log(e.code) }
 */
export class BeepTraceError extends Error {
  /** Stable machine-readable reason, e.g. `truncated`, `bad_signature`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bytes that are not a canonical encoding. @example new CodecError('truncated', 'stay: need 16 bytes, have 9') */
export class CodecError extends BeepTraceError {}

/** A block that breaks an acceptance rule (docs/PROTOCOL.md §Ledger). @example new RejectError('bad_signature', '…') */
export class RejectError extends BeepTraceError {}

/**
 * The node's own store failed to make an accepted block durable (a full disk, a broken database).
 * Not anyone else's fault: the ledger refuses every further write (its memory would be ahead of
 * its disk) and the node must stop or degrade visibly. @example new StoreFault('store_failed', 'putBlock: ENOSPC')
 */
export class StoreFault extends BeepTraceError {}

/** Bad input from a user, a file or an operator. @example new InputError('bad_line', 'trace.jsonl:3: …') */
export class InputError extends BeepTraceError {}
