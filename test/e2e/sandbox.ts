/**
 * For tests of what an operator runs (test/e2e/deploy.test.ts, test/e2e/walkthrough.test.ts): a
 * copy of the checkout as a fresh clone has it, and a private network namespace in which fixed
 * ports (8787, 8080, 9464…) clash with nothing else on the machine.
 *
 * @example
 * await copyCheckout(dir);                       // tracked and new (not ignored) files
 * const net = await privateNetwork(); … spawn('nsenter', [`--net=${net.path}`, …]); net.close();
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../../src/node/repo.ts';

/** Copy the files a clone of this checkout would hold (committed or about to be: tracked and untracked, not ignored) into `dest`. */
export async function copyCheckout(dest: string): Promise<void> {
  const files = execFileSync('git', ['ls-files', '-z', '-co', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    await mkdir(dirname(join(dest, f)), { recursive: true });
    await copyFile(join(REPO_ROOT, f), join(dest, f)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e; // a file deleted but not yet committed
    });
  }
}

/**
 * A new network namespace with loopback up and a tun interface as its default route (WebRTC
 * gathers no host candidate on loopback alone); `path` is for `nsenter --net=PATH`.
 */
export async function privateNetwork(): Promise<{ path: string; close(): void }> {
  const setup = 'ip link set lo up && ip tuntap add dev bt0 mode tun && ip addr add 10.203.0.1/24 dev bt0 && ip link set bt0 up && ip route add default dev bt0 && echo up && exec sleep 3600';
  const holder = spawn('unshare', ['-n', 'sh', '-c', setup], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((ok, fail) => {
    holder.stdout!.once('data', () => ok());
    holder.once('exit', (code) => fail(new Error(`the network namespace could not be made (exit ${code})`)));
  });
  return { path: `/proc/${holder.pid}/ns/net`, close: () => holder.kill('SIGKILL') };
}
