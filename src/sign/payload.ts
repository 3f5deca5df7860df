/**
 * What gets signed. Both formats bind the signature to the image **digest**, never a tag:
 * - legacy (cosign v2): the "simple signing" JSON, `critical.image.docker-manifest-digest`;
 * - bundle (cosign v3): an in-toto v1 statement whose subject digest is the image's, with cosign's
 *   sign predicate type, wrapped in DSSE.
 */
export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** `types.CosignSignPredicateType` in cosign v3. */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';

export interface SimpleSigning {
  critical: {
    identity: { 'docker-reference': string };
    image: { 'docker-manifest-digest': string };
    type: string;
  };
  optional: Record<string, string> | null;
}

export interface InTotoStatement {
  _type: string;
  subject: { name?: string; digest: Record<string, string> }[];
  predicateType: string;
  predicate: Record<string, unknown>;
}

/** The simple-signing payload bytes, with the field order cosign's Go structs produce. */
export function simpleSigningPayload(repository: string, digest: string, annotations?: Record<string, string>): Buffer {
  const payload: SimpleSigning = {
    critical: {
      identity: { 'docker-reference': repository },
      image: { 'docker-manifest-digest': digest },
      type: SIMPLE_SIGNING_TYPE,
    },
    optional: annotations && Object.keys(annotations).length ? annotations : null,
  };
  return Buffer.from(JSON.stringify(payload));
}

/** The in-toto statement bytes for cosign's sign predicate. */
export function signStatement(repository: string, digest: string): Buffer {
  const [algorithm, hex] = digest.split(':') as [string, string];
  const statement: InTotoStatement = {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: repository, digest: { [algorithm]: hex } }],
    predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    predicate: {},
  };
  return Buffer.from(JSON.stringify(statement));
}

/** Parses a simple-signing payload; undefined when it is not one. */
export function parseSimpleSigning(bytes: Buffer): SimpleSigning | undefined {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as SimpleSigning;
    if (typeof value?.critical?.image?.['docker-manifest-digest'] !== 'string') return undefined;
    return value;
  } catch {
    return undefined;
  }
}

export function parseStatement(bytes: Buffer): InTotoStatement | undefined {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as InTotoStatement;
    if (!Array.isArray(value?.subject) || typeof value.predicateType !== 'string') return undefined;
    return value;
  } catch {
    return undefined;
  }
}

/** True when a statement names `digest` among its subjects. */
export function statementCovers(statement: InTotoStatement, digest: string): boolean {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return statement.subject.some((s) => s?.digest?.[algorithm] === hex);
}
