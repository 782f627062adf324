/**
 * The few standard globals the pure core may use: they exist identically in browsers, workers
 * and Node ≥ 18, and do no I/O. Declared here because src/core/tsconfig.json has no DOM lib
 * (so `document`, `window`, `fetch`, `indexedDB` and Node's `process`/`Buffer` fail typecheck).
 */
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: Uint8Array): string;
}
declare function btoa(data: string): string;
declare function atob(data: string): string;
declare var crypto: { getRandomValues<T extends Uint8Array>(array: T): T };
