/**
 * Several tabs, one node: the tab holding the Web Lock `beeptrace-node` runs the engine (its
 * Worker) and relays the engine's state and events to the other tabs over the BroadcastChannel
 * `beeptrace-tabs`; the other tabs mirror it and send their intents over the same channel, and the
 * leader executes them and answers. The lock is held for the tab's lifetime; when the leading tab
 * closes, the browser grants the lock to the next queued tab, which starts its own engine.
 *
 * Channel messages (`TabMessage`): follower → leader `hello` (send me the state) and `intent`;
 * leader → all `leader` (I run the node now), `state`, `event`, and `reply` (addressed to one tab).
 *
 * @example
 * const tabs = startTabs({ startEngine: () => startWorkerEngine(config) });
 * tabs.client.subscribe((s) => render(s));
 * tabs.leader; // true in exactly one tab
 * @module
 */
import { initialState, type AppEvent, type AppState, type FromEngine, type Intent, type ToEngine } from '../protocol.ts';
import { AppClient, EngineError, type Wire } from './client.ts';
import type { TabService } from './services.ts';

export type TabMessage =
  | { kind: 'hello'; from: string }
  | { kind: 'intent'; from: string; id: number; intent: Intent }
  | { kind: 'leader'; tab: string }
  | { kind: 'state'; state: AppState }
  | { kind: 'event'; event: AppEvent }
  | ({ to: string } & Extract<FromEngine, { kind: 'reply' }>);

export interface TabsOptions {
  /** Starts the engine in this tab (it just became the leader): a wire to it. */
  startEngine(): Promise<Wire> | Wire;
  lockName?: string;
  channelName?: string;
  /** The Web Locks API; defaults to navigator.locks. Without it (insecure context) every tab runs its own node. */
  locks?: LockManager | null;
}

/**
 * A wire to an engine that is still starting: what is posted meanwhile waits and goes out, in
 * order, once the engine is there — after the listeners are attached to it, so no reply is missed.
 * `ready` must not reject: a start that fails resolves to a wire that answers every intent with
 * the error (`#lead` passes a fatal wire), or intents would wait for ever.
 * @example client.attach(laterWire(startEngineWhenReady()));
 */
export function laterWire(ready: Promise<Wire>): Wire {
  let real: Wire | null = null;
  const queued: ToEngine[] = [];
  const stops = new Map<(m: FromEngine) => void, () => void>();
  void ready.then((w) => {
    for (const fn of stops.keys()) stops.set(fn, w.listen(fn));
    real = w;
    for (const m of queued.splice(0)) w.post(m);
  });
  return {
    post(m) {
      if (real) real.post(m);
      else queued.push(m);
    },
    listen(fn) {
      if (real) return real.listen(fn);
      stops.set(fn, () => {});
      return () => { stops.get(fn)?.(); stops.delete(fn); };
    },
  };
}

/** A wire to the leading tab over the channel (this tab mirrors it). */
function followerWire(channel: BroadcastChannel, tab: string, onNewLeader: (leader: string) => void, onLeader: (leader: string) => void = () => {}): Wire {
  let leader: string | null = null;
  return {
    post: (m) => channel.postMessage({ ...m, from: tab } satisfies TabMessage),
    listen(fn) {
      const h = (e: MessageEvent) => {
        const m = e.data as TabMessage;
        if (!m || typeof m !== 'object') return;
        if (m.kind === 'state' || m.kind === 'event') fn(m);
        else if (m.kind === 'reply' && m.to === tab) fn(m);
        else if (m.kind === 'leader') {
          if (leader !== null && leader !== m.tab) onNewLeader(m.tab);
          leader = m.tab;
          onLeader(m.tab);
        }
      };
      channel.addEventListener('message', h);
      channel.postMessage({ kind: 'hello', from: tab } satisfies TabMessage);
      return () => channel.removeEventListener('message', h);
    },
  };
}

/** A wire that answers at once that the engine could not start (the views show `fatal`). */
export function fatalWire(message: string): Wire {
  let deliver: ((m: FromEngine) => void) | null = null;
  return {
    post(m) {
      deliver?.({ kind: 'reply', id: m.id, ok: false, error: { code: 'no-engine', message } });
    },
    listen(fn) {
      deliver = fn;
      queueMicrotask(() => fn({ kind: 'state', state: { ...initialState(), fatal: message } }));
      return () => { deliver = null; };
    },
  };
}

/** See the module comment. Create with `startTabs`. */
export class Tabs implements TabService {
  readonly client = new AppClient();
  readonly id: string = crypto.randomUUID();
  #leader = false;
  #heardLeader = false;
  #subs = new Set<() => void>();
  #channel: BroadcastChannel;

  constructor(private readonly opts: TabsOptions) {
    this.#channel = new BroadcastChannel(opts.channelName ?? 'beeptrace-tabs');
  }

  get leader(): boolean {
    return this.#leader;
  }

  /**
   * Another tab leads and this one mirrors it: known once that tab answered, not merely because
   * this tab has not been granted the lock yet (which it is, a moment after loading, when alone).
   */
  get mirroring(): boolean {
    return !this.#leader && this.#heardLeader;
  }

  /** Called when this tab becomes the leader. @example tabs.subscribe(() => render()) */
  subscribe(fn: () => void): () => void {
    this.#subs.add(fn);
    return () => this.#subs.delete(fn);
  }

  /** Mirrors whoever leads, and queues for the lock. */
  start(): void {
    this.#follow();
    const locks = this.opts.locks === undefined ? (globalThis.navigator?.locks ?? null) : this.opts.locks;
    if (!locks) {
      void this.#lead();
      return;
    }
    void locks.request(this.opts.lockName ?? 'beeptrace-node', async () => {
      await this.#lead();
      // Held until the tab closes: the browser then grants it to the next tab in the queue.
      await new Promise<never>(() => {});
    });
  }

  /** Leaves the channel and stops the client (the tab is going away; tests). The lock is the browser's to release. */
  close(): void {
    this.client.close();
    this.#channel.close();
  }

  #follow(): void {
    this.client.attach(followerWire(this.#channel, this.id, () => {
      // Intents the old leader never answered are rejected ('leader-changed'); mirror the new one.
      if (!this.#leader) this.#follow();
    }, (leader) => {
      if (leader === this.id || this.#heardLeader) return;
      this.#heardLeader = true;
      for (const fn of this.#subs) fn();
    }));
  }

  async #lead(): Promise<void> {
    this.#leader = true;
    // From now on intents are this tab's engine's: they wait for it while it starts, rather than
    // go to the channel, where no tab would answer them.
    const engine = Promise.resolve()
      .then(() => this.opts.startEngine())
      .catch((e: unknown) => fatalWire(`The BeepTrace engine could not start: ${(e as Error).message}`));
    // Intents sent while this tab waited for the lock went to the channel. If no tab ever said it
    // leads, none received them (a leader announces itself before it answers anything): they go to
    // this tab's engine now, instead of being refused as if a leader had closed (a first visit's
    // "Easy mode", switched on before the browser granted the lock, was lost so).
    this.client.attach(laterWire(engine), { resend: !this.#heardLeader });
    const ch = this.#channel;
    const post = (m: TabMessage) => ch.postMessage(m);
    post({ kind: 'leader', tab: this.id });
    this.client.subscribe((state) => post({ kind: 'state', state }));
    this.client.onEvent((event) => post({ kind: 'event', event }));
    ch.addEventListener('message', (e: MessageEvent) => {
      const m = e.data as TabMessage;
      if (!m || typeof m !== 'object') return;
      if (m.kind === 'hello') {
        post({ kind: 'leader', tab: this.id });
        post({ kind: 'state', state: this.client.state });
      } else if (m.kind === 'intent' && typeof m.from === 'string') {
        this.client.send(m.intent).then(
          (value) => post({ kind: 'reply', to: m.from, id: m.id, ok: true, value }),
          (err: unknown) => post({
            kind: 'reply', to: m.from, id: m.id, ok: false,
            error: { code: err instanceof EngineError ? err.code : 'internal', message: err instanceof Error ? err.message : String(err) },
          }),
        );
      }
    });
    for (const fn of [...this.#subs]) fn();
  }
}

/** Creates the tab coordinator and starts it. @example const tabs = startTabs({ startEngine }); */
export function startTabs(opts: TabsOptions): Tabs {
  const t = new Tabs(opts);
  t.start();
  return t;
}
