/**
 * The i18n module: every language has the same placeholders as English (a key missing entirely
 * already fails the typecheck), the role/name contract names are distinct and translated, and
 * dates are spelled out through Intl.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { I18n, LANGS, hasMessages, interpolate, pickLang, splitMessage, type MessageKey } from '../../src/app/i18n/index.ts';
import { messages } from '../../src/app/i18n/all.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const CONTRACT: MessageKey[] = ['nav.status', 'nav.trail', 'nav.data', 'nav.network', 'nav.settings', 'rec.start', 'rec.pause',
  'up.now', 'data.erase', 'precision.exact', 'precision.10m', 'precision.100m', 'status.none', 'status.low', 'status.high'];

test('a language other than English loads when first set; until then the shown one stays, and the later of two calls wins', async () => {
  const i = new I18n();
  const seen: string[] = [];
  i.subscribe(() => seen.push(i.lang));
  // the first test of the file: no other dictionary is loaded yet (they are shared by every I18n)
  assert.equal(hasMessages('ar'), false);
  const first = i.setLang('ar');
  assert.equal(i.lang, 'en', 'English shows while Arabic loads');
  assert.equal(i.pending, true);
  const second = i.setLang('de');
  await Promise.all([first, second]);
  assert.equal(i.lang, 'de', 'the later call wins');
  assert.equal(i.pending, false);
  assert.equal(i.t('nav.data'), messages.de['nav.data']);
  assert.equal(hasMessages('ar') && hasMessages('de'), true);
  await i.setLang('en');
  assert.equal(i.t('nav.data'), messages.en['nav.data']);
  assert.ok(!seen.includes('ar'), `Arabic was never applied: ${seen.join(',')}`);
});

test('every translation has exactly the placeholders of the English text, and no empty string', () => {
  for (const lang of LANGS) {
    for (const key of Object.keys(messages.en) as MessageKey[]) {
      assert.deepEqual(placeholders(messages[lang][key]), placeholders(messages.en[key]), `${lang} ${key}`);
      assert.ok(messages[lang][key].trim().length > 0, `${lang} ${key} is empty`);
    }
  }
});

test('the contract names are distinct and translated, and no precision radio name is inside another', () => {
  for (const lang of LANGS) {
    const names = CONTRACT.map((k) => messages[lang][k]);
    assert.equal(new Set(names).size, names.length, `${lang}: contract names collide`);
    // Playwright matches names as substrings unless exact: "About 10 m" must not be inside "About 100 m".
    const radios = (['precision.exact', 'precision.10m', 'precision.100m'] as const).map((k) => messages[lang][k]);
    for (const a of radios) for (const b of radios) if (a !== b) assert.ok(!b.includes(a), `${lang}: "${a}" is inside "${b}"`);
  }
  assert.notEqual(messages.ar['rec.start'], messages.en['rec.start']);
  assert.notEqual(messages.de['data.erase'], messages.en['data.erase']);
});

test('dates and numbers are spelled out by Intl in the language', async () => {
  const i = new I18n();
  const dec3 = Date.UTC(2026, 11, 3) / 86_400_000;
  assert.equal(i.dayLong(dec3), 'Thursday 3 December');
  assert.equal(i.t('status.until', { date: i.dayLong(dec3) }), 'Until Thursday 3 December');
  assert.equal(i.duration(200), '3 hours 20 minutes');
  assert.equal(i.distance(1500), '1.5 km');
  await i.setLang('de');
  assert.equal(i.dayLong(dec3), 'Donnerstag, 3. Dezember');
  assert.equal(i.number(1520), '1.520');
  await i.setLang('ar');
  assert.equal(i.dir, 'rtl');
  assert.match(i.dayLong(dec3), /ديسمبر/);
  assert.throws(() => i.setLang('fr' as never), /unknown language/);
});

test('placeholders are filled and split for markup; the browser language is picked', () => {
  assert.equal(interpolate('a {x} b {y}', { x: 1 }), 'a 1 b {y}');
  assert.deepEqual(splitMessage('Exposure on {day}.'), ['Exposure on ', { name: 'day' }, '.']);
  assert.equal(pickLang(['fr-FR', 'de-AT', 'en']), 'de');
  assert.equal(pickLang(['ar-EG']), 'ar');
  assert.equal(pickLang(['fr']), 'en');
});
