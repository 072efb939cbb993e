import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { PackedPlugin } from './packPlugins';

/**
 * A package registry for one npm scope that serves our packed tarballs, so that a fresh
 * app installs `@vmportal/...` with the READMEs' own commands (`yarn add <name>`, no
 * version, no path), resolving our packages' dependencies on each other as they would
 * from a real registry. The app's package manager is pointed at it for the scope only;
 * everything else still comes from the machine's npm registry.
 */
export class ScopeRegistry {
  private constructor(
    private readonly server: Server,
    /** Base URL, e.g. `http://127.0.0.1:PORT`. */
    readonly url: string,
  ) {}

  static async start(packages: PackedPlugin[]): Promise<ScopeRegistry> {
    // Published now: honest publish times, so that an age gate sees new versions.
    const publishedAt = new Date().toISOString();
    const byName = new Map(
      packages.map(p => {
        const tarball = readFileSync(p.tarball);
        return [
          p.name,
          {
            manifest: p.manifest,
            tarball,
            shasum: createHash('sha1').update(tarball).digest('hex'),
            integrity: `sha512-${createHash('sha512')
              .update(tarball)
              .digest('base64')}`,
          },
        ];
      }),
    );
    let baseUrl = '';
    const server = createServer((request, response) => {
      // Package managers ask for `/@scope%2fname` (metadata) and
      // `/@scope/name/-/name-1.2.3.tgz` (the tarball).
      const path = decodeURIComponent(
        new URL(request.url ?? '/', 'http://registry').pathname,
      ).slice(1);
      const tarballAt = path.indexOf('/-/');
      const name = tarballAt === -1 ? path : path.slice(0, tarballAt);
      const pkg = byName.get(name);
      if (!pkg) {
        response.writeHead(404, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ error: `${name} is not one of ours` }));
        return;
      }
      const version = pkg.manifest.version;
      if (tarballAt !== -1) {
        response.writeHead(200, {
          'Content-Type': 'application/octet-stream',
          'Content-Length': pkg.tarball.length,
        });
        response.end(pkg.tarball);
        return;
      }
      const file = `${name.split('/').pop()}-${version}.tgz`;
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(
        JSON.stringify({
          name,
          'dist-tags': { latest: version },
          versions: {
            [version]: {
              ...pkg.manifest,
              dist: {
                tarball: `${baseUrl}/${name}/-/${file}`,
                shasum: pkg.shasum,
                integrity: pkg.integrity,
              },
            },
          },
          time: {
            created: publishedAt,
            modified: publishedAt,
            [version]: publishedAt,
          },
        }),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return new ScopeRegistry(server, baseUrl);
  }

  async stop(): Promise<void> {
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}
