/**
 * The deterministic in-memory network (src/net/memory-net.ts): reproducible from the seed; loss,
 * duplication and random delay per frame; bounded send buffers with back-pressure and onDrain;
 * partitions, churn, removal; virtual-time timers; runUntilIdle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryNet, type MemoryNetOptions } from '../../src/net/memory-net.ts';
import type { Link } from '../../src/net/link.ts';

/** Two endpoints a and b; returns both link ends once connected. */
async function pair(opts: MemoryNetOptions) {
  const net = new MemoryNet(opts);
  let inbound: Link | undefined;
  const got: { at: number; n: number }[] = [];
  net.add('a', { accept: () => assert.fail('a accepts nothing') });
  net.add('b', {
    accept: (l) => {
      inbound = l;
      l.onFrame = (f) => got.push({ at: net.now(), n: f[0] | (f[1] << 8) });
    },
  });
  const p = net.connect('a', 'b');
  await net.run(net.now() + 1000);
  const a = await p;
  assert.ok(inbound);
  return { net, a, b: inbound, got };
}

const frame = (n: number, size = 2) => {
  const f = new Uint8Array(size);
  f[0] = n & 255;
  f[1] = n >> 8;
  return f;
};

async function trace(seed: number) {
  const { net, a, got } = await pair({ seed, loss: 0.1, duplicate: 0.05, delay: [5, 50] });
  const sentAt = net.now();
  for (let i = 0; i < 2000; i++) a.send(frame(i));
  await net.run(net.now() + 1000);
  return { got, sentAt, stats: { ...net.stats } };
}

test('the same seed gives the same run; another seed another', async () => {
  const x = await trace(1);
  const y = await trace(1);
  const z = await trace(2);
  assert.deepEqual(x, y);
  assert.notDeepEqual(x.got, z.got);
});

test('frames are lost, duplicated and delayed (reordered) as configured', async () => {
  const { got, sentAt, stats } = await trace(9);
  assert.equal(stats.sent, 2000);
  assert.ok(stats.dropped > 150 && stats.dropped < 250, `dropped ${stats.dropped} of 2000 at 10%`);
  assert.ok(stats.duplicated > 50 && stats.duplicated < 150, `duplicated ${stats.duplicated} at 5%`);
  assert.equal(got.length, stats.delivered);
  assert.equal(stats.delivered, 2000 - stats.dropped + stats.duplicated);
  for (const g of got) assert.ok(g.at - sentAt >= 5 && g.at - sentAt <= 50, `delay ${g.at - sentAt} ms outside [5, 50]`);
  let inversions = 0;
  for (let i = 1; i < got.length; i++) if (got[i].n < got[i - 1].n) inversions++;
  assert.ok(inversions > 100, `reordered: ${inversions} inversions`);
});

test('a full send buffer refuses frames, then onDrain; nothing accepted is lost', async () => {
  const { net, a, got } = await pair({ seed: 3, bandwidth: 10, bufferBytes: 1000, delay: [1, 1] });
  let drains = 0;
  a.onDrain = () => drains++;
  let sent = 0;
  let refused = 0;
  const pump = () => {
    while (sent < 300) {
      if (!a.send(frame(sent, 100))) {
        refused++;
        return;
      }
      sent++;
    }
  };
  a.onDrain = () => {
    drains++;
    pump();
  };
  pump();
  assert.ok(a.bufferedAmount <= 1000 && a.bufferedAmount >= 900, `buffered ${a.bufferedAmount}`);
  assert.equal(sent, 10, 'ten 100-byte frames fill a 1000-byte buffer');
  await net.run(net.now() + 10_000);
  assert.equal(sent, 300);
  assert.ok(refused >= 2 && drains >= 2, `refused ${refused}, drained ${drains}`);
  assert.deepEqual(got.map((g) => g.n), Array.from({ length: 300 }, (_, i) => i), 'in order, none lost');
  const ms = got[299].at - got[0].at;
  assert.ok(ms >= 2900 && ms <= 3100, `30,000 bytes at 10 bytes/ms take ~3 s, took ${ms}`);
});

test('partition closes crossing links and refuses new ones until heal; churn and remove', async () => {
  const net = new MemoryNet({ seed: 5 });
  const closes: string[] = [];
  const links: Link[] = [];
  for (const x of ['a', 'b', 'c']) {
    net.add(x, {
      accept: (l, from) => {
        l.onClose = (r) => closes.push(`${x}<-${from}:${r}`);
        links.push(l);
      },
    });
  }
  const ab = net.connect('a', 'b');
  const ac = net.connect('a', 'c');
  await net.run(net.now() + 100);
  const [lab, lac] = [await ab, await ac];
  lab.onClose = (r) => closes.push(`a->b:${r}`);
  lac.onClose = (r) => closes.push(`a->c:${r}`);
  assert.deepEqual(net.neighbours('a').sort(), ['b', 'c']);
  net.partition(['a'], ['b']);
  await net.run(net.now() + 10);
  assert.deepEqual(closes.sort(), ['a->b:partition', 'b<-a:partition'], 'both ends hear of it, once');
  assert.deepEqual(net.neighbours('a'), ['c']);
  await assert.rejects(async () => {
    const p = net.connect('b', 'a');
    await net.run(net.now() + 100);
    await p;
  }, /partitioned/);
  net.heal();
  const again = net.connect('b', 'a');
  await net.run(net.now() + 100);
  assert.ok(await again);
  closes.length = 0;
  net.churn('c');
  await net.run(net.now() + 10);
  assert.deepEqual(closes.sort(), ['a->c:churn', 'c<-a:churn']);
  net.remove('b');
  await net.run(net.now() + 10);
  assert.deepEqual(net.neighbours('a'), []);
  await assert.rejects(async () => {
    const p = net.connect('a', 'b');
    await net.run(net.now() + 100);
    await p;
  }, /not on the network/);
  assert.deepEqual(net.discover('a'), ['c'], 'discover lists the others, not yourself or your neighbours');
});

test('closing a link: onClose once on each end; the closer\'s frames on the wire still arrive, then the close', async () => {
  const { net, a, b, got } = await pair({ seed: 6, delay: [10, 10] });
  const order: string[] = [];
  let aGot = 0;
  a.onClose = () => order.push('a closed');
  a.onFrame = () => aGot++;
  b.onClose = () => order.push(`b closed after ${got.length} frame(s)`);
  b.send(frame(9)); // towards the closer: dropped
  a.send(frame(1));
  a.close('done');
  a.close('again');
  assert.equal(a.send(frame(2)), true, 'sending on a closed link drops the frame');
  await net.run(net.now() + 100);
  assert.deepEqual(order, ['a closed', 'b closed after 1 frame(s)']);
  assert.equal(aGot, 0);
  // a cut by the network drops what is in flight
  const p2 = await pair({ seed: 7, delay: [10, 10] });
  p2.a.send(frame(1));
  p2.net.churn('a');
  await p2.net.run(p2.net.now() + 100);
  assert.equal(p2.got.length, 0);
});

test('virtual timers run in time order; runUntilIdle stops when the network is quiet', async () => {
  const net = new MemoryNet({ seed: 7, startMs: 1_000_000 });
  const clock = net.clockFor(null);
  const order: string[] = [];
  clock.setTimeout(() => order.push(`b@${clock.now()}`), 200);
  clock.setTimeout(() => order.push(`a@${clock.now()}`), 100);
  const h = clock.setTimeout(() => order.push('never'), 150);
  clock.clearTimeout(h);
  await net.run(1_000_500);
  assert.deepEqual(order, ['a@1000100', 'b@1000200']);
  assert.equal(net.now(), 1_000_500);
  // a periodic timer keeps events coming; with no frames in flight the net is idle after quietMs
  const tick = () => clock.setTimeout(tick, 1000);
  tick();
  const idle = await net.runUntilIdle({ quietMs: 5_000, maxMs: 60_000 });
  assert.equal(idle, true);
  assert.ok(net.now() <= 1_000_500 + 5_000, `idle at ${net.now()}`);
});
