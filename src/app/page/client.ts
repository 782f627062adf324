/**
 * `AppClient`: the views' `EngineClient` over a `Wire` that carries ToEngine / FromEngine
 * messages — the worker's MessagePort in the tab that runs the node (`portWire`), or the
 * BroadcastChannel to that tab in a mirroring tab (src/app/page/tabs.ts). The wire can be swapped
 * when a mirroring tab takes over; the views keep the same client.
 *
 * @example
 * const client = new AppClient(portWire(port));
 * client.subscribe((s) => console.log(s.exposure.status));
 * await client.send({ type: 'upload-now' });
 * @module
 */
import { initialState, type AppEvent, type AppState, type EngineClient, type FromEngine, type Intent, type ToEngine } from '../protocol.ts';

/** A two-way channel of app-protocol messages. */
export interface Wire {
  post(m: ToEngine): void;
  /** Starts delivering messages to `fn`; returns a function that stops it. */
  listen(fn: (m: FromEngine) => void): () => void;
}

/** An intent the engine refused, or one that could not reach it. `code` is the engine's (or 'leader-changed', 'closed'). @example if (e instanceof EngineError && e.code === 'busy') retryLater(); */
export class EngineError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'EngineError';
  }
}

/** A wire over a MessagePort (the worker's app port). @example new AppClient(portWire(channel.port1)) */
export function portWire(port: MessagePort): Wire {
  return {
    post: (m) => port.postMessage(m),
    listen(fn) {
      const h = (e: MessageEvent) => fn(e.data as FromEngine);
      port.addEventListener('message', h);
      port.start();
      return () => port.removeEventListener('message', h);
    },
  };
}

interface Pending { resolve(v: unknown): void; reject(e: Error): void; m: ToEngine }

/** See the module comment. @example new AppClient().attach(portWire(port)) */
export class AppClient implements EngineClient {
  #state: AppState = initialState();
  #subs = new Set<(s: AppState) => void>();
  #eventSubs = new Set<(e: AppEvent) => void>();
  #pending = new Map<number, Pending>();
  #queued: ToEngine[] = [];
  #nextId = 1;
  #wire: Wire | null = null;
  #stop: (() => void) | null = null;

  constructor(wire?: Wire) {
    if (wire) this.attach(wire);
  }

  get state(): AppState {
    return this.#state;
  }

  /**
   * Uses `wire` from now on. Intents still waiting for a reply on the previous wire are rejected
   * with code 'leader-changed' (the tab that would have answered is gone) — or, with `resend`, sent
   * again on the new wire (the caller knows nothing received them: src/app/page/tabs.ts). Intents
   * sent before any wire was attached go out now.
   * @example client.attach(portWire(port), { resend: true })
   */
  attach(wire: Wire, opts: { resend?: boolean } = {}): void {
    if (this.#wire && !opts.resend) this.#failPending('leader-changed', 'The tab running BeepTrace closed before answering; try again.');
    this.#stop?.();
    this.#wire = wire;
    this.#stop = wire.listen((m) => this.#receive(m));
    // Pending intents are in id order (a Map keeps insertion order); queued ones are among them.
    const out = opts.resend ? [...this.#pending.values()].map((p) => p.m) : this.#queued;
    this.#queued = [];
    for (const m of out) wire.post(m);
  }

  /** Stops listening and rejects every pending intent with code 'closed'. */
  close(): void {
    this.#stop?.();
    this.#stop = null;
    this.#wire = null;
    this.#failPending('closed', 'BeepTrace is shutting down in this tab.');
  }

  subscribe(fn: (s: AppState) => void): () => void {
    this.#subs.add(fn);
    fn(this.#state);
    return () => this.#subs.delete(fn);
  }

  onEvent(fn: (e: AppEvent) => void): () => void {
    this.#eventSubs.add(fn);
    return () => this.#eventSubs.delete(fn);
  }

  send<T = unknown>(intent: Intent): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const m: ToEngine = { kind: 'intent', id, intent };
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, m });
      if (this.#wire) this.#wire.post(m);
      else this.#queued.push(m);
    });
  }

  /** Delivers a message as if it came over the wire (a mirroring tab's relay uses it for state). */
  #receive(m: FromEngine): void {
    if (!m || typeof m !== 'object') return;
    if (m.kind === 'state') {
      this.#state = m.state;
      for (const fn of [...this.#subs]) fn(m.state);
    } else if (m.kind === 'event') {
      for (const fn of [...this.#eventSubs]) fn(m.event);
    } else if (m.kind === 'reply') {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new EngineError(m.error.code, m.error.message));
    }
  }

  #failPending(code: string, message: string): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(new EngineError(code, message));
  }
}
