/**
 * The `fields` input: extra name/value pairs for the default message, as a YAML mapping
 * (`Region: eu-west-1`) or a list of one-entry mappings (to repeat a name). Every scalar is read as
 * text (YAML failsafe schema), so `Version: 1.10` stays "1.10" and `Canary: no` stays "no".
 */
import { ConfigurationError } from '../core/errors.js';
import { parseDocument } from '../core/yaml.js';
import type { MessageField } from './message.js';

export function parseFields(text: string, input = 'fields'): MessageField[] {
  if (text.trim() === '') return [];
  const doc = parseDocument(text, { schema: 'failsafe', prettyErrors: true, uniqueKeys: true });
  const problem = doc.errors[0];
  if (problem) {
    const at = problem.linePos?.[0];
    const detail = (problem.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigurationError(input, `malformed YAML${at ? ` at line ${at.line}, column ${at.col}` : ''}: ${detail}`);
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  const entries: [string, unknown][] = [];
  if (value && typeof value === 'object' && !Array.isArray(value)) entries.push(...Object.entries(value));
  else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      if (!item || typeof item !== 'object' || Array.isArray(item) || Object.keys(item).length !== 1) {
        throw new ConfigurationError(input, `item ${i + 1} must be one \`name: value\` pair`);
      }
      entries.push(...Object.entries(item as Record<string, unknown>));
    }
  } else {
    throw new ConfigurationError(input, 'expected a YAML mapping of `name: value` lines');
  }
  return entries.map(([name, v]) => {
    if (v !== null && typeof v === 'object') throw new ConfigurationError(input, `the value of '${name}' must be text, not a ${Array.isArray(v) ? 'list' : 'mapping'}`);
    return { name, value: v === null || v === undefined ? '' : String(v) };
  });
}
