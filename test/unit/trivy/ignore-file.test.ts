import { describe, expect, it } from 'vitest';
import { IgnoreFileError, parseIsoDate, parseTrivyignore, parseTrivyignoreYaml, parseYamlTimestamp } from '../../../src/trivy/ignore-file.js';

describe('.trivyignore (Trivy parseIgnore)', () => {
  const text = [
    '# vulnerabilities',
    'CVE-2019-0001',
    '  CVE-2019-0002  ',
    '',
    'CVE-2019-0004 exp:2020-01-01',
    'CVE-2019-0005 exp:9999-01-01',
    'CVE-2019-0006 exp:9999-01-01 key2:value2',
    'CVE-2019-0007 # a comment after the ID is just more fields',
    'CVE-2019-0008 exp:2024-02-30',
    'CVE-2019-0009 exp:01/02/2024',
    '\tGHSA-xxxx-yyyy-zzzz\texp:2030-12-31',
  ].join('\n');
  const parsed = parseTrivyignore(text, '.trivyignore');

  it('reads IDs with their line numbers, skipping comments and blank lines', () => {
    expect(parsed.rules.map((r) => [r.id, r.line])).toEqual([
      ['CVE-2019-0001', 2],
      ['CVE-2019-0002', 3],
      ['CVE-2019-0004', 5],
      ['CVE-2019-0005', 6],
      ['CVE-2019-0006', 7],
      ['CVE-2019-0007', 8],
      ['GHSA-xxxx-yyyy-zzzz', 11],
    ]);
  });

  it('reads exp: dates as 00:00 UTC of that day', () => {
    const byId = new Map(parsed.rules.map((r) => [r.id, r]));
    expect(byId.get('CVE-2019-0004')?.expiresAt).toBe(Date.UTC(2020, 0, 1));
    expect(byId.get('CVE-2019-0004')?.expiresText).toBe('2020-01-01');
    expect(byId.get('GHSA-xxxx-yyyy-zzzz')?.expiresAt).toBe(Date.UTC(2030, 11, 31));
    expect(byId.get('CVE-2019-0001')?.expiresAt).toBeUndefined();
  });

  it('drops a line whose date does not parse (as Trivy does) with a warning on that line', () => {
    expect(parsed.warnings).toEqual([
      { file: '.trivyignore', line: 9, message: expect.stringContaining("'exp:2024-02-30' is not a date") },
      { file: '.trivyignore', line: 10, message: expect.stringContaining('CVE-2019-0009 is not ignored') },
    ]);
  });

  it.each([
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['2023-02-29', undefined],
    ['2024-1-5', undefined],
    ['24-01-05', undefined],
    ['2024-01-05T00:00:00Z', undefined],
  ])('Go time.Parse("2006-01-02", %s)', (text, expected) => {
    expect(parseIsoDate(text)).toBe(expected);
  });
});

describe('.trivyignore.yaml (Trivy parseIgnoreYAML)', () => {
  const yaml = `vulnerabilities:
  - id: CVE-2019-0001
    paths:
      - "**/*-lock.json"
  - id: CVE-2019-0003
    statement: accepted until the base image moves
  - id: CVE-2019-0005
    expired_at: 2023-01-01
  - id: CVE-2019-0007
    purls:
      - "pkg:golang/github.com/aquasecurity/aaa@9.9.9"
      - "pkg:golang/github.com/aquasecurity/bar"
misconfigurations:
  - id: ID100
secrets:
  - id: generic-unwanted-rule
`;

  it('reads the vulnerabilities section with lines, paths, purls, expiry and statement', async () => {
    const parsed = await parseTrivyignoreYaml(yaml, '.trivyignore.yaml');
    expect(parsed.rules.map((r) => [r.id, r.line, r.paths, r.purls, r.expiresAt, r.statement])).toEqual([
      ['CVE-2019-0001', 2, ['**/*-lock.json'], [], undefined, ''],
      ['CVE-2019-0003', 5, [], [], undefined, 'accepted until the base image moves'],
      ['CVE-2019-0005', 7, [], [], Date.UTC(2023, 0, 1), ''],
      ['CVE-2019-0007', 9, [], ['pkg:golang/github.com/aquasecurity/aaa@9.9.9', 'pkg:golang/github.com/aquasecurity/bar'], undefined, ''],
    ]);
    expect(parsed.rules[0]?.pathMatchers[0]?.('app/package-lock.json')).toBe(true);
    expect(parsed.rules[3]?.parsedPurls[1]?.name).toBe('bar');
  });

  it.each([
    ['', 0],
    ['# nothing yet\n', 0],
    ['vulnerabilities:\n', 0],
    ['misconfigurations:\n  - id: X\n', 0],
  ])('an empty or vulnerability-free file %j has no rules', async (text, n) => {
    expect((await parseTrivyignoreYaml(text, 'f.yaml')).rules).toHaveLength(n);
  });

  it.each([
    ['2023-01-01', Date.UTC(2023, 0, 1)],
    ['2023-1-2', Date.UTC(2023, 0, 2)],
    ['2023-01-01T12:30:00Z', Date.UTC(2023, 0, 1, 12, 30)],
    ['2023-01-01t12:30:00.5+02:00', Date.UTC(2023, 0, 1, 10, 30, 0, 500)],
    ['2023-01-01 12:30:00', Date.UTC(2023, 0, 1, 12, 30)],
    ['2023-02-30', undefined],
    ['tomorrow', undefined],
  ])('yaml.v3 timestamp %s', (text, expected) => {
    expect(parseYamlTimestamp(text)).toBe(expected);
  });

  it('warns about an entry without id (it matches nothing)', async () => {
    const parsed = await parseTrivyignoreYaml('vulnerabilities:\n  - statement: forgot the id\n  - id: CVE-1\n', 'f.yaml');
    expect(parsed.rules.map((r) => r.id)).toEqual(['CVE-1']);
    expect(parsed.warnings).toEqual([{ file: 'f.yaml', line: 2, message: 'this entry has no `id`, so it matches nothing' }]);
  });

  it.each([
    ['vulnerabilities: [unclosed\n', /f\.yaml:2: malformed YAML \(column 1\): Flow sequence/],
    ['- id: CVE-1\n', /f\.yaml:1: expected a mapping with a `vulnerabilities:` list/],
    ['vulnerabilities:\n  id: CVE-1\n', /f\.yaml:2: `vulnerabilities` must be a list/],
    ['vulnerabilities:\n  - CVE-1\n', /f\.yaml:2: each `vulnerabilities` entry must be a mapping/],
    ['vulnerabilities:\n  - id: CVE-1\n    paths: "a/b"\n', /f\.yaml:3: `paths` must be a list/],
    ['vulnerabilities:\n  - id: CVE-1\n    paths:\n      - "[abc"\n', /f\.yaml:4: invalid path pattern '\[abc' for CVE-1/],
    ['vulnerabilities:\n  - id: CVE-1\n    purls:\n      - "npm/left-pad"\n', /f\.yaml:4: invalid package URL for CVE-1/],
    ['vulnerabilities:\n  - id: CVE-1\n    expired_at: someday\n', /f\.yaml:3: expired_at 'someday' is not a date/],
    ['vulnerabilities:\n  - id: CVE-1\n  - id: CVE-2\n    id: CVE-3\n', /f\.yaml:4: malformed YAML/],
  ])('rejects %j', async (text, message) => {
    await expect(parseTrivyignoreYaml(text, 'f.yaml')).rejects.toThrow(IgnoreFileError);
    await expect(parseTrivyignoreYaml(text, 'f.yaml')).rejects.toThrow(message);
  });
});
