/**
 * The app's node factory (src/app/thin-node.ts) on fake-indexeddb: thin by default (notification
 * chain only), a tracing relay once the user opted in — and the opt-in is kept in the store, so it
 * holds after a restart. Nothing is dialled: the transport starts only with `start()`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import 'fake-indexeddb/auto';
import { openThinNode, setRelay, isRelay, RELAY_KEY } from '../../src/app/thin-node.ts';
import { openIdbStore } from '../../src/store/idb-store.ts';
import { Chain } from '../../src/core/types.ts';

const opts = (dbName: string) => ({ signalUrl: 'ws://127.0.0.1:1', region: 1, rootKey: new Uint8Array(32).fill(7), dbName });

test('a browser node is thin by default, and a relay after the opt-in, across restarts', async () => {
  const thin = await openThinNode(opts('relay-optin'));
  assert.equal(thin.role, 'thin');
  assert.deepEqual([thin.ledger.carries(Chain.TRACING), thin.ledger.carries(Chain.NOTIFICATION)], [false, true]);
  assert.equal(thin.node.role, 'thin');
  assert.equal(await isRelay(thin.store), false);
  await setRelay(thin.store, true);
  await thin.stop();

  const relay = await openThinNode(opts('relay-optin'));
  assert.equal(relay.role, 'relay', 'the kept opt-in applies on the next open');
  assert.deepEqual([relay.ledger.carries(Chain.TRACING), relay.ledger.carries(Chain.NOTIFICATION)], [true, true]);
  assert.equal(relay.node.role, 'relay');
  await setRelay(relay.store, false);
  await relay.stop();

  const again = await openThinNode(opts('relay-optin'));
  assert.equal(again.role, 'thin', 'opting out holds too');
  await again.stop();
  const forced = await openThinNode({ ...opts('relay-optin'), relay: true });
  assert.equal(forced.role, 'relay', 'an explicit option overrides the kept choice');
  await forced.stop();
  const store = await openIdbStore('relay-optin');
  assert.deepEqual(await store.getValue(RELAY_KEY), new Uint8Array([0]));
  await store.close();
});
