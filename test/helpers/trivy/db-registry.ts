/**
 * A loopback stand-in for the OCI registries that serve Trivy's vulnerability DB: it answers the
 * manifest request Trivy (go-containerregistry) makes for `<host>/<name>:<tag>` with an OCI image
 * manifest whose layer has Trivy's DB media type, for the repositories it serves; 404 for others.
 * `failFirst` makes the first N manifest requests answer 500 (a flaky mirror).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DbRegistry {
  host: string;
  requests: string[];
  close(): Promise<void>;
}

export async function startDbRegistry(serve: string[], options: { failFirst?: number } = {}): Promise<DbRegistry> {
  const requests: string[] = [];
  let failures = options.failFirst ?? 0;
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(req.url ?? '');
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    if (failures > 0) {
      failures--;
      res.writeHead(500, { 'content-type': 'text/plain' }).end('flaky');
      return;
    }
    if (!serve.includes(`${m[1]}:${m[2]}`)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN' }] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.aquasec.trivy.config.v1+json', digest: 'sha256:' + '0'.repeat(64), size: 2 },
        layers: [{ mediaType: 'application/vnd.aquasec.trivy.db.layer.v1.tar+gzip', digest: 'sha256:' + '1'.repeat(64), size: 1024 }],
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
