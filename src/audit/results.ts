/**
 * The `scan`, `signature`, `rollout` and `smoke` inputs: what another step produced, usually
 * `${{ toJSON(steps.<id>.outputs) }}`. Step outputs are strings, so JSON held in one (smoke-test's
 * `results`, rollout's `workloads`) is parsed, and whole numbers become numbers. A bare verdict
 * (`pass`, `succeeded`) is accepted as `{ "result": … }`. Oversized results keep their scalar fields
 * only, so the record stays small enough for a deployment payload.
 */
import type { ResultObject } from './record.js';

/** Largest canonical size of one result kept whole. */
export const RESULT_LIMIT_BYTES = 32 * 1024;

const WHOLE_NUMBER = /^(0|-?[1-9]\d{0,14})$/;

function normalise(value: unknown, depth: number): unknown {
  if (typeof value === 'string') {
    const text = value.trim();
    if (depth < 3 && /^[[{]/.test(text)) {
      try {
        return normalise(JSON.parse(text), depth + 1);
      } catch {
        return value;
      }
    }
    return WHOLE_NUMBER.test(text) ? Number(text) : value;
  }
  if (Array.isArray(value)) return value.map((v) => normalise(v, depth));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = normalise(v, depth);
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

/**
 * Parses one result input. Returns null for blank or `{}` (a skipped step), a message for text
 * that is neither a JSON object nor a bare verdict word.
 */
export function parseResult(text: string): ResultObject | null | string {
  const raw = text.trim();
  if (raw === '' || raw === '{}' || raw === 'null') return null;
  if (/^[A-Za-z][\w-]{0,39}$/.test(raw)) return { result: raw.toLowerCase() };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    return `expected a JSON object such as \${{ toJSON(steps.<id>.outputs) }} or a result word (pass, fail, succeeded…): ${(error as Error).message}`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'expected a JSON object (the step outputs), not an array or a scalar';
  const result = normalise(value, 0) as ResultObject;
  if (Buffer.byteLength(JSON.stringify(result), 'utf8') <= RESULT_LIMIT_BYTES) return result;
  const scalars: ResultObject = {};
  for (const [k, v] of Object.entries(result)) if (v === null || typeof v !== 'object') scalars[k] = typeof v === 'string' && v.length > 1024 ? `${v.slice(0, 1024)}…` : v;
  scalars['truncated'] = true;
  return scalars;
}
