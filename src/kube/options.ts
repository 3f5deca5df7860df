/**
 * What a rollout is asked to do (the action's inputs, typed), what it reports back, and the hooks
 * a caller — the root `deploy` action — plugs in.
 */
import type { SmokeInputs } from '../actions/smoke-test/inputs.js';
import type { KubeClient } from './kubectl.js';
import type { EventLine, WorkloadRef } from './waiter.js';

export const STRATEGIES = ['rolling', 'blue-green', 'canary'] as const;
export type Strategy = (typeof STRATEGIES)[number];
export const ACTIONS = ['deploy', 'promote', 'abort', 'rollback'] as const;
export type RolloutAction = (typeof ACTIONS)[number];

export interface RolloutInputs {
  action: RolloutAction;
  /** Files, globs, directories, kustomize directories (relative to the workspace). */
  manifests: string[];
  /** `container=ref`, `*=ref` or bare refs matched by repository. */
  images: string[];
  namespace?: string;
  strategy: Strategy;
  /** Canary weights in percent, ascending (100 = promote at the end). */
  canarySteps: number[];
  canaryPauseMs: number;
  toRevision?: number;
  /** Budget of each wait for a rollout to complete. */
  timeoutMs: number;
  rollbackOnFailure: boolean;
  /** Kubeconfig content (already masked); undefined = kubectl's own (KUBECONFIG, ~/.kube/config). */
  kubeconfig?: string;
  context?: string;
  serverSide: boolean;
  dryRun: boolean;
  /** Smoke checks that verify the new version before it gets traffic (`url` / `checks`). */
  verify?: SmokeInputs;
}

export type ResultKind = 'succeeded' | 'rolled-back' | 'failed';

export interface WorkloadReport {
  kind: string;
  name: string;
  namespace: string;
  images: string[];
  /** The revision this run rolled out (or, for `action: rollback`, the one restored). */
  revision?: number;
  previousRevision?: number;
  /** unchanged | succeeded | failed | timed-out | rolled-back | cancelled | skipped | created | deleted | scaled */
  state: string;
  message: string;
}

export interface Diagnostic {
  workload: string;
  reason: string;
  message: string;
  pod?: string;
  container?: string;
  events: EventLine[];
}

export interface TrafficSwitch {
  service: string;
  namespace: string;
  from?: string;
  to: string;
  switchedAt?: string;
  switchedBack?: boolean;
}

export interface RolloutResult {
  result: ResultKind;
  action: RolloutAction;
  strategy: Strategy;
  /** One line: what happened. */
  message: string;
  revision?: number;
  previousRevision?: number;
  rolledBack: boolean;
  workloads: WorkloadReport[];
  diagnostics: Diagnostic[];
  traffic: TrafficSwitch[];
  /** The server-side diff, for dry runs. */
  diff?: string;
  dryRun: boolean;
  durationMs: number;
}

export type VerifyPhase = 'preview' | 'live' | 'canary';

export interface VerifyContext {
  phase: VerifyPhase;
  strategy: Strategy;
  namespace: string;
  workloads: WorkloadRef[];
  /** blue-green: the colour being verified. */
  color?: string;
  /** blue-green: the Services that select only that colour. */
  previewServices?: string[];
  /** canary: the weight reached, in percent. */
  weight?: number;
}

export interface VerifyOutcome {
  passed: boolean;
  detail?: string;
}

export interface RolloutHooks {
  /**
   * Verifies the new version before it gets (more) traffic: blue-green `preview` (before the
   * Service switches) and `live` (right after; failure switches back), canary after each step.
   * Throwing, or returning `{ passed: false }`, fails the verification.
   */
  verify?: (context: VerifyContext) => Promise<VerifyOutcome | void>;
  /** Called as phases start, for callers that report progress of their own. */
  onPhase?: (phase: string, detail: string) => void;
}

export interface RolloutDeps {
  /** A KubeClient to use instead of kubectl (tests). */
  client?: KubeClient;
}
