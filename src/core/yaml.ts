/**
 * The YAML parser, behind a module of our own: dynamic `import()` of a CommonJS package straight
 * from a lazily loaded chunk gives only a `default` export under esbuild's code splitting, so
 * lazy imports always target our own ESM modules, which import packages statically.
 */
export { parseDocument, parse as parseYaml, stringify as stringifyYaml } from 'yaml';
