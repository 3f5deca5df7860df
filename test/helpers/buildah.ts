/**
 * buildah for tests, in a private storage root (vfs driver, chroot isolation: no overlay, no
 * user namespaces needed), so tests never touch the machine's images or each other's. The
 * returned `env` is what the action's builder runs with (buildah reads CONTAINERS_STORAGE_CONF,
 * STORAGE_DRIVER and BUILDAH_ISOLATION itself).
 *
 * Build contexts that need no pull: `FROM scratch` + COPY, or a base from Debian's busybox-static.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUILDAH_INSTALL = 'install Debian buildah: apt-get install -y buildah (or bash .ci/install/20-registry-buildah.sh)';
export const BUSYBOX = '/bin/busybox';

/** Context directories made here, removed when the test process exits. */
const contexts: string[] = [];
process.once('exit', () => {
  for (const dir of contexts) rmSync(dir, { recursive: true, force: true });
});

function contextDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipline-ctx-'));
  contexts.push(dir);
  return dir;
}

export function buildahAvailable(): boolean {
  return spawnSync('buildah', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface BuildahSandbox {
  root: string;
  /** Environment for buildah (and for the action running it). */
  env: Record<string, string>;
  /** Runs buildah in the sandbox; throws with stderr on failure. */
  run(args: string[], cwd?: string): string;
  cleanup(): void;
}

export function buildahSandbox(): BuildahSandbox {
  const root = mkdtempSync(join(tmpdir(), 'shipline-buildah-'));
  const conf = join(root, 'storage.conf');
  writeFileSync(conf, `[storage]\ndriver = "vfs"\ngraphroot = "${join(root, 'graph')}"\nrunroot = "${join(root, 'run')}"\n`);
  const env = { CONTAINERS_STORAGE_CONF: conf, STORAGE_DRIVER: 'vfs', BUILDAH_ISOLATION: 'chroot' };
  return {
    root,
    env,
    run(args, cwd) {
      const result = spawnSync('buildah', args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`buildah ${args.join(' ')} failed: ${result.stderr}`);
      return result.stdout;
    },
    cleanup() {
      // vfs layers are plain directories; make sure nothing is left read-only.
      spawnSync('chmod', ['-R', 'u+w', root]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A `FROM scratch` context whose one file carries `content` (different content → different digest). */
export function scratchContext(content: string, extra: { dockerfile?: string } = {}): string {
  const dir = contextDir();
  writeFileSync(join(dir, 'hello.txt'), content);
  writeFileSync(join(dir, 'Containerfile'), extra.dockerfile ?? 'FROM scratch\nCOPY hello.txt /hello.txt\n');
  return dir;
}

/**
 * A context whose base is a root filesystem with Debian's static busybox (so RUN steps work without
 * pulling anything): `FROM scratch`, `COPY rootfs/ /`, then the given steps.
 */
export function busyboxContext(steps: string): string {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: apt-get install -y busybox-static`);
  const dir = contextDir();
  const bin = join(dir, 'rootfs', 'bin');
  mkdirSync(bin, { recursive: true });
  copyFileSync(BUSYBOX, join(bin, 'busybox'));
  chmodSync(join(bin, 'busybox'), 0o755);
  for (const tool of ['sh', 'echo', 'cat', 'ls', 'mkdir', 'env', 'printenv']) symlinkSync('busybox', join(bin, tool));
  writeFileSync(join(dir, 'Containerfile'), `FROM scratch\nCOPY rootfs/ /\n${steps}\n`);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
