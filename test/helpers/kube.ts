/**
 * The test Kubernetes control plane (scripts/kube-up.sh, issue 5): its kubeconfig, a unique namespace
 * per test (deleted after), and small kubectl helpers for assertions. When no cluster answers, tests
 * are skipped with one line saying how to start it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

export const KUBECONFIG = process.env['SHIPLINE_KUBECONFIG'] || '/tmp/shipline-kube/kubeconfig';
export const KUBECTL = process.env['SHIPLINE_KUBECTL'] || 'kubectl';
export const KUBE_SKIP_REASON = `kube tests skipped: no test cluster answers at ${KUBECONFIG} — start it with \`bash scripts/kube-up.sh\` (installed and started by .ci/install/50-kube.sh)`;

function probe(): boolean {
  if (!existsSync(KUBECONFIG)) return false;
  try {
    execFileSync(KUBECTL, ['--kubeconfig', KUBECONFIG, 'get', '--raw', '/readyz'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** True when the test cluster answers (checked once per test file). */
export const kubeAvailable = probe();
let announced = false;
/** Prints the skip line once per file when the cluster is absent. */
export function announceKubeSkip(): void {
  if (!kubeAvailable && !announced) {
    announced = true;
    console.log(KUBE_SKIP_REASON);
  }
}

export function kubeconfigText(): string {
  return readFileSync(KUBECONFIG, 'utf8');
}

/** Runs kubectl against the test cluster; returns stdout. Throws with stderr on failure. */
export function kubectl(args: readonly string[], input?: string): string {
  return execFileSync(KUBECTL, ['--kubeconfig', KUBECONFIG, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000 });
}

export function kubeJson<T = unknown>(args: readonly string[]): T {
  return JSON.parse(kubectl([...args, '-o', 'json'])) as T;
}

export interface TestNamespace {
  name: string;
  /** kubectl in this namespace. */
  k(args: readonly string[], input?: string): string;
  json<T = unknown>(args: readonly string[]): T;
  delete(): void;
}

/** A fresh namespace `<prefix>-<random>` (deleted by `delete()`, without waiting). */
export function createNamespace(prefix: string): TestNamespace {
  const name = `${prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40)}-${randomBytes(3).toString('hex')}`;
  kubectl(['create', 'namespace', name]);
  // Pods are admitted only once the namespace's default ServiceAccount exists.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      kubectl(['-n', name, 'get', 'serviceaccount', 'default']);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      execFileSync('sleep', ['0.2']);
    }
  }
  return {
    name,
    k: (args, input) => kubectl(['-n', name, ...args], input),
    json: <T>(args: readonly string[]) => kubeJson<T>(['-n', name, ...args]),
    delete: () => {
      try {
        kubectl(['delete', 'namespace', name, '--wait=false']);
      } catch {
        // already gone
      }
    },
  };
}

export interface PodWatch {
  /** Date.now() when a pod first showed each container waiting reason. */
  firstSeen: Map<string, number>;
  stop(): void;
}

/** Watches pods in a namespace (a separate kubectl), recording when each waiting reason first appears. */
export function watchPodReasons(namespace: string): PodWatch {
  const firstSeen = new Map<string, number>();
  const child = spawn(KUBECTL, ['--kubeconfig', KUBECONFIG, '-n', namespace, 'get', 'pods', '--watch', '-o', 'jsonpath={.metadata.name}{" "}{.status.containerStatuses[*].state.waiting.reason}{"\\n"}'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let buffer = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const now = Date.now();
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) for (const reason of line.trim().split(/\s+/).slice(1)) if (!firstSeen.has(reason)) firstSeen.set(reason, now);
  });
  return { firstSeen, stop: () => child.kill('SIGTERM') };
}

/** A Deployment manifest (YAML) for tests. */
export function deploymentYaml(name: string, image: string, options: { replicas?: number; labels?: Record<string, string>; podAnnotations?: Record<string, string>; extraContainers?: string } = {}): string {
  const labels = { app: name, ...(options.labels ?? {}) };
  const labelYaml = Object.entries(labels)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  const annotations = options.podAnnotations
    ? `\n      annotations: {${Object.entries(options.podAnnotations)
        .map(([k, v]) => `"${k}": "${v}"`)
        .join(', ')}}`
    : '';
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${options.replicas ?? 2}
  selector:
    matchLabels: {${labelYaml}}
  template:
    metadata:
      labels: {${labelYaml}}${annotations}
    spec:
      containers:
        - name: ${name}
          image: "${image}"${options.extraContainers ?? ''}
`;
}

export function serviceYaml(name: string, selector: Record<string, string> = { app: name }): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: {${Object.entries(selector)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')}}
  ports:
    - port: 80
      targetPort: 8080
`;
}
