/**
 * OCI image labels added to every build (org.opencontainers.image.*: source, revision, created,
 * version, title), as docker/metadata-action derives them; the `labels` input wins on conflicts.
 */
export interface LabelContext {
  serverUrl?: string;
  repository?: string;
  sha?: string;
  /** The image repository (`ghcr.io/acme/api`), for the title when the GitHub repository is unknown. */
  image: string;
  version?: string;
  createdMs: number;
}

export function ociLabels(context: LabelContext): Record<string, string> {
  const labels: Record<string, string> = {};
  if (context.serverUrl && context.repository) labels['org.opencontainers.image.source'] = `${context.serverUrl.replace(/\/+$/, '')}/${context.repository}`;
  if (context.sha) labels['org.opencontainers.image.revision'] = context.sha;
  labels['org.opencontainers.image.created'] = new Date(context.createdMs).toISOString();
  if (context.version) labels['org.opencontainers.image.version'] = context.version;
  labels['org.opencontainers.image.title'] = (context.repository ?? context.image).split('/').pop() ?? context.image;
  return labels;
}

/** Parses `key=value` lines; returns the first bad line as an error sentence. */
export function parseKeyValues(lines: readonly string[], what: string, nameRule?: RegExp): { values: [string, string][] } | { error: string } {
  const values: [string, string][] = [];
  for (const line of lines) {
    const eq = line.indexOf('=');
    if (eq <= 0) return { error: `'${line.split('=')[0]}…' is not ${what}=value` };
    const name = line.slice(0, eq).trim();
    if (nameRule && !nameRule.test(name)) return { error: `'${name}' is not a valid ${what} name` };
    values.push([name, line.slice(eq + 1)]);
  }
  return { values };
}
