/**
 * One way to assemble a node (src/net/assemble.ts): the ledger carries the role's chains, the
 * transport is made once from the role's chain names and started and stopped with the node; and
 * the worker's node (openPortNode) asks the page, over its control port, for the rooms of the
 * chains it carries — the notification chain for a thin node, both for a relay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import 'fake-indexeddb/auto';
import { assembleNode, hostClock, openLedger, roleChains, type ChainName, type NodeTransport } from '../../src/net/assemble.ts';
import { serveTransport, type MessagePortLike, type ServedTransport } from '../../src/net/port-link.ts';
import { openPortNode } from '../../src/app/thin-node.ts';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { Chain } from '../../src/core/types.ts';

const rootKey = new Uint8Array(32).fill(7);

test('the ledger carries the chains of its role', async () => {
  for (const [role, chains] of [['thin', [Chain.NOTIFICATION]], ['relay', [Chain.TRACING, Chain.NOTIFICATION]], ['full', [Chain.TRACING, Chain.NOTIFICATION]]] as const) {
    assert.deepEqual(roleChains(role), chains);
    const ledger = await openLedger({ crypto: c, store: new MemoryStore(), rootKey, region: 1, role });
    assert.deepEqual([ledger.carries(Chain.TRACING), ledger.carries(Chain.NOTIFICATION)], [chains.length === 2, true], role);
  }
});

test('the transport is made from the role, attached, started and stopped with the node', async () => {
  const calls: string[] = [];
  let attached: unknown;
  const made: ChainName[][] = [];
  const fake = (chains: ChainName[]): NodeTransport => {
    made.push(chains);
    return {
      connect: () => Promise.reject(new Error('no peers here')),
      discover: () => [],
      attach: (node) => (attached = node),
      start: () => calls.push('start'),
      stop: () => calls.push('stop'),
    };
  };
  const ledger = await openLedger({ crypto: c, store: new MemoryStore(), rootKey, region: 1, role: 'relay' });
  const n = assembleNode({ ledger, role: 'relay', clock: hostClock(), crypto: c, transport: fake, tickMs: 60_000 });
  assert.deepEqual(made, [['tracing', 'notification']]);
  assert.equal(attached, n.node, 'incoming links go to the node');
  assert.equal(n.node.role, 'relay');
  n.start();
  n.start();
  await n.stop();
  assert.deepEqual(calls, ['start', 'stop']);
});

test("the worker's node asks the page for its chains' rooms over the control port", async () => {
  for (const relay of [false, true]) {
    const { port1, port2 } = new MessageChannel();
    const asked: ChainName[][] = [];
    let stopped = false;
    const stopServing = serveTransport(port1 as unknown as MessagePortLike, (chains): ServedTransport => {
      asked.push(chains);
      return { connect: () => Promise.reject(new Error('none')), discover: () => [], attach: () => {}, start: () => {}, stop: () => (stopped = true) };
    });
    const n = await openPortNode({ net: port2 as unknown as MessagePortLike, region: 1, rootKey, dbName: `port-node-${relay}`, relay, tickMs: 60_000 });
    assert.equal(n.role, relay ? 'relay' : 'thin');
    n.start();
    for (let i = 0; i < 1000 && !asked.length; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(asked, [relay ? ['tracing', 'notification'] : ['notification']]);
    await n.stop();
    for (let i = 0; i < 1000 && !stopped; i++) await new Promise((r) => setImmediate(r));
    assert.equal(stopped, true, 'stopping the node stops the page transport');
    stopServing();
    port2.close();
  }
});
