/**
 * The elder-mode setting in the engine's strict settings check (src/app/engine/state.ts): a boolean
 * `elder` passes alone or with the others; anything else is refused naming the field; settings
 * stored before it existed have none (read as off).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, checkSettings } from '../../src/app/engine/state.ts';

test('settings.elder: true or false, alone or with the others; nothing else', () => {
  assert.deepEqual(checkSettings({ elder: true }), { elder: true });
  assert.deepEqual(checkSettings({ elder: false, lang: 'ar' }), { elder: false, lang: 'ar' });
  assert.throws(() => checkSettings({ elder: 'yes' as never }), /settings\.elder: "yes" is not allowed/);
  assert.throws(() => checkSettings({ elder: 1 as never }), /settings\.elder: 1 is not allowed/);
  assert.equal(DEFAULT_SETTINGS.elder, undefined, 'absent means off, as in settings stored before elder mode');
});
