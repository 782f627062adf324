/**
 * Lighthouse 12 (its CLI, as TOOLCHAIN.md runs it) against a URL in Debian's Chromium: the
 * performance, accessibility and best-practices scores, 0..1. Lighthouse's defaults: a mobile
 * profile with simulated throttling. 12.x has no PWA category.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CHROMIUM } from '../e2e/harness.ts';

export const LIGHTHOUSE_CHROME_FLAGS = '--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --disable-features=WebRtcHideLocalIpsWithMdns';

export interface LighthouseScores {
  performance: number; accessibility: number; 'best-practices': number;
  /** What the performance score is made of, and Lighthouse's measure of the machine's speed (benchmarkIndex). */
  detail: string;
}

/**
 * Run Lighthouse once against `url`.
 *
 * @example
 * const s = await lighthouseScores('http://127.0.0.1:4173/'); // { performance: 0.99, accessibility: 1, 'best-practices': 1 }
 */
export async function lighthouseScores(url: string): Promise<LighthouseScores> {
  const pkg = createRequire(import.meta.url).resolve('lighthouse/package.json');
  const cli = join(dirname(pkg), 'cli', 'index.js');
  const args = [cli, url, '--output=json', '--output-path=stdout', '--quiet',
    '--only-categories=performance,accessibility,best-practices', `--chrome-flags=${LIGHTHOUSE_CHROME_FLAGS}`];
  const out = await new Promise<string>((ok, fail) => {
    const p = spawn(process.execPath, args, { env: { ...process.env, CHROME_PATH: process.env.CHROME_PATH ?? CHROMIUM }, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    p.stderr.on('data', (c: Buffer) => (err += c));
    p.on('error', fail);
    p.on('close', (code) => (code === 0 ? ok(Buffer.concat(chunks).toString()) : fail(new Error(`lighthouse exited ${code}: ${err.slice(-2000)}`))));
  });
  const lhr = JSON.parse(out) as {
    runtimeError?: { message: string };
    categories: Record<string, { score: number | null }>;
    audits: Record<string, { numericValue?: number; score: number | null }>;
    environment?: { benchmarkIndex?: number };
  };
  if (lhr.runtimeError) throw new Error(`lighthouse: ${lhr.runtimeError.message}`);
  const score = (k: keyof LighthouseScores) => {
    const s = lhr.categories[k]?.score;
    if (typeof s !== 'number') throw new Error(`lighthouse gave no ${k} score`);
    return s;
  };
  const ms = (id: string) => Math.round(lhr.audits[id]?.numericValue ?? NaN);
  const failed = Object.entries(lhr.audits).filter(([, v]) => v.score === 0).map(([k]) => k);
  const detail = `FCP ${ms('first-contentful-paint')} ms, LCP ${ms('largest-contentful-paint')} ms, TBT ${ms('total-blocking-time')} ms, CLS ${lhr.audits['cumulative-layout-shift']?.numericValue?.toFixed(3)}, SI ${ms('speed-index')} ms; benchmarkIndex ${lhr.environment?.benchmarkIndex ?? '?'}; audits at 0: ${failed.join(', ') || 'none'}`;
  return { performance: score('performance'), accessibility: score('accessibility'), 'best-practices': score('best-practices'), detail };
}
