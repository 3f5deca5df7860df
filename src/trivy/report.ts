/**
 * The Trivy JSON report (SchemaVersion 2), read robustly: the whole document is validated as JSON
 * and the shape of everything the gate decides on is checked, so a truncated, empty or malformed
 * report is a ReportError (→ `result=error`), never a pass.
 *
 * Field names are Trivy's own (`pkg/types/report.go`, `pkg/types/vulnerability.go`): Results[] of
 * { Target, Class, Type, Vulnerabilities[], ExperimentalModifiedFindings[] }, each vulnerability
 * { VulnerabilityID, PkgID, PkgName, PkgPath, PkgIdentifier.PURL, InstalledVersion, FixedVersion,
 * Status, Severity, PrimaryURL, … }. Every field is `omitempty` in Trivy, so absence is normal.
 */
import { openSync, closeSync, fstatSync, readSync } from 'node:fs';
import { JsonScanner, JsonSyntaxError, keyBytes, lineColumn, type JsonKind } from './json-scan.js';
import { normalizeSeverity, type Finding, type ResultInfo } from './finding.js';

export class ReportError extends Error {
  override readonly name = 'ReportError';
}

/** A finding Trivy itself already suppressed (`--show-suppressed`: its ignore file, VEX…). */
export interface SuppressedFinding {
  finding: Finding;
  /** `ignored`, `not_affected`, `fixed`, `under_investigation`… */
  status: string;
  statement: string;
  source: string;
}

export interface TrivyReport {
  /** Where it was read from (for messages). */
  file: string;
  schemaVersion: number;
  artifactName: string;
  artifactType: string;
  trivyVersion: string;
  imageId: string;
  repoTags: string[];
  repoDigests: string[] | null;
  results: ResultInfo[];
  findings: Finding[];
  suppressed: SuppressedFinding[];
  /** Severities written that are not one of Trivy's five (counted as UNKNOWN). */
  unknownSeverities: string[];
  /** The report's bytes, kept for reading a finding's details on demand. */
  bytes: Buffer;
  sizeBytes: number;
}

const K = {
  SchemaVersion: keyBytes('SchemaVersion'),
  ArtifactName: keyBytes('ArtifactName'),
  ArtifactType: keyBytes('ArtifactType'),
  Trivy: keyBytes('Trivy'),
  Version: keyBytes('Version'),
  Metadata: keyBytes('Metadata'),
  ImageID: keyBytes('ImageID'),
  RepoTags: keyBytes('RepoTags'),
  RepoDigests: keyBytes('RepoDigests'),
  Results: keyBytes('Results'),
  Target: keyBytes('Target'),
  Class: keyBytes('Class'),
  Type: keyBytes('Type'),
  Vulnerabilities: keyBytes('Vulnerabilities'),
  ExperimentalModifiedFindings: keyBytes('ExperimentalModifiedFindings'),
  VulnerabilityID: keyBytes('VulnerabilityID'),
  PkgID: keyBytes('PkgID'),
  PkgName: keyBytes('PkgName'),
  PkgPath: keyBytes('PkgPath'),
  PkgIdentifier: keyBytes('PkgIdentifier'),
  PURL: keyBytes('PURL'),
  InstalledVersion: keyBytes('InstalledVersion'),
  FixedVersion: keyBytes('FixedVersion'),
  Status: keyBytes('Status'),
  Severity: keyBytes('Severity'),
  PrimaryURL: keyBytes('PrimaryURL'),
};

const article = (kind: JsonKind): string => (kind === 'object' || kind === 'array' ? `an ${kind}` : kind === 'null' ? 'null' : `a ${kind}`);

/** Reads a whole file into one Buffer (no string conversion). */
export function readBytes(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafeSlow(size);
    let offset = 0;
    while (offset < size) {
      const n = readSync(fd, buf, offset, Math.min(size - offset, 64 * 1024 * 1024), offset);
      if (n === 0) break;
      offset += n;
    }
    return offset === size ? buf : buf.subarray(0, offset);
  } finally {
    closeSync(fd);
  }
}

class ReportParser {
  private readonly s: JsonScanner;
  private path: (string | number)[] = [];
  readonly findings: Finding[] = [];
  readonly suppressed: SuppressedFinding[] = [];
  readonly results: ResultInfo[] = [];
  readonly unknownSeverities = new Set<string>();

  constructor(
    private readonly bytes: Buffer,
    private readonly file: string,
  ) {
    this.s = new JsonScanner(bytes);
  }

  private where(extra?: string | number): string {
    const parts = extra === undefined ? this.path : [...this.path, extra];
    return parts.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || 'the document';
  }

  private wrongType(expected: string, field?: string): (kind: JsonKind) => never {
    return (kind) => {
      throw new ReportError(`${this.file}: ${this.where(field)} must be ${expected}, found ${article(kind)}`);
    };
  }

  parse(): Omit<TrivyReport, 'bytes' | 'sizeBytes' | 'file'> {
    const s = this.s;
    if (s.peek() === undefined) throw new ReportError(`${this.file} is empty: Trivy did not write a report`);
    if (s.kind() !== 'object') throw new ReportError(`${this.file} is not a Trivy JSON report: the document is ${article(s.kind())}, not an object`);
    let schemaVersion: number | undefined;
    let artifactName = '';
    let artifactType = '';
    let trivyVersion = '';
    let imageId = '';
    let repoTags: string[] = [];
    let repoDigests: string[] | null = null;
    if (s.enterObject()) {
      do {
        s.key();
        if (s.keyIs(K.SchemaVersion)) {
          if (s.kind() !== 'number') this.wrongType('a number', 'SchemaVersion')(s.kind());
          schemaVersion = s.number();
        } else if (s.keyIs(K.ArtifactName)) artifactName = this.lenientString();
        else if (s.keyIs(K.ArtifactType)) artifactType = this.lenientString();
        else if (s.keyIs(K.Trivy)) trivyVersion = this.trivyInfo();
        else if (s.keyIs(K.Metadata)) ({ imageId, repoTags, repoDigests } = this.metadata());
        else if (s.keyIs(K.Results)) {
          this.resultsArray();
        } else s.skip();
      } while (s.nextMember());
    }
    s.expectEnd();
    if (schemaVersion === undefined) {
      throw new ReportError(`${this.file} is not a Trivy JSON report: it has no SchemaVersion (use \`trivy image --format json\`; SARIF, CycloneDX and table output are not reports)`);
    }
    if (schemaVersion !== 2) throw new ReportError(`${this.file}: SchemaVersion ${schemaVersion} is not supported (Trivy has written SchemaVersion 2 since v0.20)`);
    return {
      schemaVersion,
      artifactName,
      artifactType,
      trivyVersion,
      imageId,
      repoTags,
      repoDigests,
      results: this.results,
      findings: this.findings,
      suppressed: this.suppressed,
      unknownSeverities: [...this.unknownSeverities],
    };
  }

  /** Metadata strings the gate only displays: a wrong type is skipped, not an error. */
  private lenientString(): string {
    const s = this.s;
    if (s.kind() === 'string') return s.string();
    s.skip();
    return '';
  }

  private stringList(): string[] {
    const s = this.s;
    const out: string[] = [];
    if (s.kind() !== 'array') {
      s.skip();
      return out;
    }
    if (s.enterArray()) {
      do {
        const value = this.lenientString();
        if (value) out.push(value);
      } while (s.nextItem());
    }
    return out;
  }

  private trivyInfo(): string {
    const s = this.s;
    let version = '';
    if (s.kind() !== 'object') {
      s.skip();
      return version;
    }
    if (s.enterObject()) {
      do {
        s.key();
        if (s.keyIs(K.Version)) version = this.lenientString();
        else s.skip();
      } while (s.nextMember());
    }
    return version;
  }

  private metadata(): { imageId: string; repoTags: string[]; repoDigests: string[] | null } {
    const s = this.s;
    let imageId = '';
    let repoTags: string[] = [];
    let repoDigests: string[] | null = null;
    if (s.kind() !== 'object') {
      s.skip();
      return { imageId, repoTags, repoDigests };
    }
    if (s.enterObject()) {
      do {
        s.key();
        if (s.keyIs(K.ImageID)) imageId = this.lenientString();
        else if (s.keyIs(K.RepoTags)) repoTags = this.stringList();
        else if (s.keyIs(K.RepoDigests)) repoDigests = this.stringList();
        else s.skip();
      } while (s.nextMember());
    }
    return { imageId, repoTags, repoDigests };
  }

  private resultsArray(): void {
    const s = this.s;
    const kind = s.kind();
    if (kind === 'null') return s.skip();
    if (kind !== 'array') this.wrongType('an array', 'Results')(kind);
    this.path = ['Results'];
    if (s.enterArray()) {
      let index = 0;
      do {
        this.path = ['Results', index];
        this.result(index++);
      } while (s.nextItem());
    }
    this.path = [];
  }

  private result(index: number): void {
    const s = this.s;
    if (s.kind() !== 'object') this.wrongType('an object')(s.kind());
    const info: ResultInfo = { target: '', class: '', type: '', index };
    let sawTarget = false;
    // Findings share `info`, so a Target written after Vulnerabilities still reaches them.
    if (s.enterObject()) {
      do {
        s.key();
        if (s.keyIs(K.Target)) {
          info.target = s.optionalString(this.wrongType('a string', 'Target')) ?? '';
          sawTarget = true;
        } else if (s.keyIs(K.Class)) info.class = s.optionalString(this.wrongType('a string', 'Class')) ?? '';
        else if (s.keyIs(K.Type)) info.type = s.optionalString(this.wrongType('a string', 'Type')) ?? '';
        else if (s.keyIs(K.Vulnerabilities)) this.vulnerabilities(info);
        else if (s.keyIs(K.ExperimentalModifiedFindings)) this.modifiedFindings(info);
        else s.skip();
      } while (s.nextMember());
    }
    if (!sawTarget) throw new ReportError(`${this.file}: ${this.where()} has no Target`);
    this.results.push(info);
  }

  private vulnerabilities(result: ResultInfo): void {
    const s = this.s;
    const kind = s.kind();
    if (kind === 'null') return s.skip();
    if (kind !== 'array') this.wrongType('an array', 'Vulnerabilities')(kind);
    if (s.enterArray()) {
      let index = 0;
      do {
        this.findings.push(this.vulnerability(result, index++));
      } while (s.nextItem());
    }
  }

  private vulnerability(result: ResultInfo, index: number): Finding {
    const s = this.s;
    if (s.kind() !== 'object') this.wrongType('an object', `Vulnerabilities[${index}]`)(s.kind());
    const start = s.pos;
    let id: string | undefined;
    let pkgName = '';
    let pkgId = '';
    let pkgPath = '';
    let purl = '';
    let installed = '';
    let fixed = '';
    let status = '';
    let severityRaw: string | undefined;
    let primaryUrl = '';
    if (s.enterObject()) {
      do {
        s.key();
        // Most keys are skipped: dispatch on the key's length, then compare bytes.
        switch (s.keyEscaped ? -1 : s.keyLength()) {
          case 15:
            if (s.keyIs(K.VulnerabilityID)) id = this.str(index, 'VulnerabilityID');
            else s.skip();
            break;
          case 7:
            if (s.keyIs(K.PkgName)) pkgName = this.str(index, 'PkgName') ?? '';
            else if (s.keyIs(K.PkgPath)) pkgPath = this.str(index, 'PkgPath') ?? '';
            else s.skip();
            break;
          case 5:
            if (s.keyIs(K.PkgID)) pkgId = this.str(index, 'PkgID') ?? '';
            else s.skip();
            break;
          case 13:
            if (s.keyIs(K.PkgIdentifier)) purl = this.pkgIdentifier(index);
            else s.skip();
            break;
          case 16:
            if (s.keyIs(K.InstalledVersion)) installed = this.str(index, 'InstalledVersion') ?? '';
            else s.skip();
            break;
          case 12:
            if (s.keyIs(K.FixedVersion)) fixed = this.str(index, 'FixedVersion') ?? '';
            else s.skip();
            break;
          case 6:
            if (s.keyIs(K.Status)) status = this.str(index, 'Status') ?? '';
            else s.skip();
            break;
          case 8:
            if (s.keyIs(K.Severity)) severityRaw = this.str(index, 'Severity');
            else s.skip();
            break;
          case 10:
            if (s.keyIs(K.PrimaryURL)) primaryUrl = this.str(index, 'PrimaryURL') ?? '';
            else s.skip();
            break;
          case -1: {
            // An escaped key (never written by Trivy): compare decoded.
            const name = s.keyName();
            if (name === 'VulnerabilityID') id = this.str(index, name);
            else if (name === 'PkgName') pkgName = this.str(index, name) ?? '';
            else if (name === 'PkgID') pkgId = this.str(index, name) ?? '';
            else if (name === 'PkgPath') pkgPath = this.str(index, name) ?? '';
            else if (name === 'PkgIdentifier') purl = this.pkgIdentifier(index);
            else if (name === 'InstalledVersion') installed = this.str(index, name) ?? '';
            else if (name === 'FixedVersion') fixed = this.str(index, name) ?? '';
            else if (name === 'Status') status = this.str(index, name) ?? '';
            else if (name === 'Severity') severityRaw = this.str(index, name);
            else if (name === 'PrimaryURL') primaryUrl = this.str(index, name) ?? '';
            else s.skip();
            break;
          }
          default:
            s.skip();
        }
      } while (s.nextMember());
    }
    if (id === undefined || id.trim() === '') {
      throw new ReportError(`${this.file}: ${this.where(`Vulnerabilities[${index}]`)} has no VulnerabilityID`);
    }
    const severity = normalizeSeverity(severityRaw);
    const finding: Finding = {
      result,
      id,
      pkgName,
      pkgId,
      pkgPath,
      purl,
      installed,
      fixed,
      status,
      severity: severity ?? 'UNKNOWN',
      primaryUrl,
      start,
      end: s.pos,
    };
    if (severity === undefined) {
      finding.unknownSeverity = severityRaw as string;
      this.unknownSeverities.add(severityRaw as string);
    }
    return finding;
  }

  /** A vulnerability's string field: a string, or undefined for null; any other type is an error. */
  private str(index: number, name: string): string | undefined {
    const s = this.s;
    const kind = s.kind();
    if (kind === 'string') return s.string();
    if (kind === 'null') {
      s.skip();
      return undefined;
    }
    return this.wrongType('a string', `Vulnerabilities[${index}].${name}`)(kind);
  }

  private pkgIdentifier(index: number): string {
    const s = this.s;
    let purl = '';
    const kind = s.kind();
    if (kind === 'null') {
      s.skip();
      return purl;
    }
    if (kind !== 'object') this.wrongType('an object', `Vulnerabilities[${index}].PkgIdentifier`)(kind);
    if (s.enterObject()) {
      do {
        s.key();
        if (s.keyIs(K.PURL)) purl = s.optionalString(this.wrongType('a string', `Vulnerabilities[${index}].PkgIdentifier.PURL`)) ?? '';
        else s.skip();
      } while (s.nextMember());
    }
    return purl;
  }

  /** ExperimentalModifiedFindings: rare and small, so each entry is validated, then JSON.parse'd. */
  private modifiedFindings(result: ResultInfo): void {
    const s = this.s;
    const kind = s.kind();
    if (kind === 'null') return s.skip();
    if (kind !== 'array') this.wrongType('an array', 'ExperimentalModifiedFindings')(kind);
    if (s.enterArray()) {
      let index = 0;
      do {
        const where = `ExperimentalModifiedFindings[${index++}]`;
        if (s.kind() !== 'object') this.wrongType('an object', where)(s.kind());
        const start = s.pos;
        s.skip();
        const entry = JSON.parse(this.bytes.toString('utf8', start, s.pos)) as Record<string, unknown>;
        const type = typeof entry['Type'] === 'string' ? entry['Type'] : '';
        if (type !== 'vulnerability') continue;
        const raw = entry['Finding'];
        if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ReportError(`${this.file}: ${this.where(`${where}.Finding`)} must be an object`);
        const v = raw as Record<string, unknown>;
        const str = (name: string): string => {
          const value = v[name];
          if (value === undefined || value === null) return '';
          if (typeof value !== 'string') throw new ReportError(`${this.file}: ${this.where(`${where}.Finding.${name}`)} must be a string`);
          return value;
        };
        const id = str('VulnerabilityID');
        if (!id) throw new ReportError(`${this.file}: ${this.where(`${where}.Finding`)} has no VulnerabilityID`);
        const ident = v['PkgIdentifier'];
        const purl = ident && typeof ident === 'object' && typeof (ident as { PURL?: unknown }).PURL === 'string' ? (ident as { PURL: string }).PURL : '';
        const severityRaw = str('Severity');
        this.suppressed.push({
          finding: {
            result,
            id,
            pkgName: str('PkgName'),
            pkgId: str('PkgID'),
            pkgPath: str('PkgPath'),
            purl,
            installed: str('InstalledVersion'),
            fixed: str('FixedVersion'),
            status: str('Status'),
            severity: normalizeSeverity(severityRaw) ?? 'UNKNOWN',
            primaryUrl: str('PrimaryURL'),
            start,
            end: s.pos,
          },
          status: typeof entry['Status'] === 'string' ? entry['Status'] : '',
          statement: typeof entry['Statement'] === 'string' ? entry['Statement'] : '',
          source: typeof entry['Source'] === 'string' ? entry['Source'] : '',
        });
      } while (s.nextItem());
    }
  }
}

/** Parses report bytes; throws ReportError with a message that names the file and the problem. */
export function parseReport(bytes: Buffer, file: string): TrivyReport {
  try {
    const parsed = new ReportParser(bytes, file).parse();
    return { ...parsed, file, bytes, sizeBytes: bytes.length };
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      const { line, column } = lineColumn(bytes, error.offset);
      const truncated = error.offset >= bytes.length - 1 || /end of input|unterminated/.test(error.detail);
      throw new ReportError(
        `${file} is not valid JSON${truncated ? ' (the file ends early: truncated?)' : ''}: ${error.detail} at line ${line}, column ${column}`,
      );
    }
    throw error;
  }
}

/** Reads and parses a report file; a missing or unreadable file is a ReportError too. */
export function readReport(file: string, display = file): TrivyReport {
  let bytes: Buffer;
  try {
    bytes = readBytes(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ReportError(`${display} does not exist: the scan that should have written it did not (check the step that ran Trivy)`);
    if (code === 'EISDIR') throw new ReportError(`${display} is a directory, not a Trivy JSON report`);
    throw new ReportError(`${display} could not be read: ${(error as Error).message}`);
  }
  return parseReport(bytes, display);
}

/** The full JSON object of a finding, read on demand from the report bytes. */
export function findingDetails(report: Pick<TrivyReport, 'bytes'>, finding: Pick<Finding, 'start' | 'end'>): Record<string, unknown> {
  const value = JSON.parse(report.bytes.toString('utf8', finding.start, finding.end)) as unknown;
  // Modified findings keep the whole entry: the vulnerability is its `Finding`.
  if (value && typeof value === 'object' && 'Finding' in value && 'Type' in value) return (value as { Finding: Record<string, unknown> }).Finding;
  return value as Record<string, unknown>;
}
