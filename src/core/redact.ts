/**
 * Secrets registered here are replaced by `***` in everything shipline itself prints (the runner
 * masks `::add-mask::` values too, but the CLI and error messages must not rely on it).
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string): void {
    const value = secret.trim();
    if (value.length < 3) return; // masking "a" or "1" would shred every log line
    this.secrets.add(value);
    // Multi-line secrets (PEM keys, kubeconfigs) are also masked line by line, as the runner does.
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= 6) this.secrets.add(line.trim());
  }

  has(secret: string): boolean {
    return this.secrets.has(secret.trim());
  }

  redact(text: string): string {
    let out = text;
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(secret)) out = out.split(secret).join('***');
    }
    return out;
  }
}

/** A URL safe to print: any user-info password is replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
