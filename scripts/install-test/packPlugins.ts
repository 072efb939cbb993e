import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../lib/startPortal';

/** One plugin package as `npm pack` made it. */
export interface PackedPlugin {
  name: string;
  /** Absolute path of the `.tgz`. */
  tarball: string;
  /** The package.json inside the tarball (what a registry would serve). */
  manifest: { name: string; version: string } & Record<string, unknown>;
}

/**
 * What a published plugin may contain: its build, its docs and its manifest, and the
 * config schema where it reads config. Backstage's prepack (`backstage-cli package
 * prepack`, run by `npm pack`) compiles the package's `config.d.ts` into
 * `config.schema.json` and lists that instead, as Backstage's own packages ship it.
 */
function unexpectedFiles(
  files: string[],
  packageJson: Record<string, unknown>,
): string[] {
  const allowed = new Set(['package.json', 'README.md', 'CHANGELOG.md']);
  if (packageJson.configSchema) allowed.add('config.schema.json');
  return files.filter(f => !allowed.has(f) && !f.startsWith('dist/'));
}

function run(
  command: string,
  args: string[],
  cwd: string,
  log: (line: string) => void,
): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    log(`${command} ${args.join(' ')} (in ${cwd}) failed:`);
    log(`${result.stdout ?? ''}${result.stderr ?? ''}`.trim());
    throw new Error(
      `${command} ${args.join(' ')} failed in ${cwd}${
        result.error ? `: ${result.error.message}` : ''
      }`,
    );
  }
  return result.stdout;
}

/**
 * Builds every package in `plugins/` (`backstage-cli package build`, types from the
 * repository's `tsc` declarations) and packs it with `npm pack` into `outDir`, as a
 * release would. Fails naming the package when a tarball holds anything but its build,
 * README, CHANGELOG, package.json and config schema, or when its package.json still
 * points into `src/`.
 */
export function packPlugins(
  outDir: string,
  log: (line: string) => void,
): PackedPlugin[] {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name);
  // The packages' type declarations are bundled from tsc's output (dist-types). tsc
  // writes them even where it finds type errors; those fail the type-check step, and a
  // package whose declarations are missing fails its build below.
  let t = Date.now();
  const tsc = spawnSync(bin('tsc'), [], { cwd: repoRoot, encoding: 'utf8' });
  log(
    `type declarations (tsc) in ${((Date.now() - t) / 1000).toFixed(1)}s${
      tsc.status === 0 ? '' : ' (with type errors: see the type-check step)'
    }`,
  );

  const packed: PackedPlugin[] = [];
  for (const folder of readdirSync(join(repoRoot, 'plugins')).sort()) {
    const dir = join(repoRoot, 'plugins', folder);
    const packageJson = JSON.parse(
      readFileSync(join(dir, 'package.json'), 'utf8'),
    ) as Record<string, unknown>;
    t = Date.now();
    run(bin('backstage-cli'), ['package', 'build'], dir, log);
    let packOutput: string;
    try {
      packOutput = run(
        'npm',
        ['pack', '--json', '--pack-destination', outDir],
        dir,
        log,
      );
    } finally {
      // prepack rewrites package.json for publishing; when the pack fails before
      // postpack, put the repository's own back.
      if (existsSync(join(dir, 'package.json-prepack'))) {
        run(bin('backstage-cli'), ['package', 'postpack'], dir, log);
      }
    }
    const [result] = JSON.parse(packOutput) as Array<{
      name: string;
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const files = result.files.map(f => f.path);
    const unexpected = unexpectedFiles(files, packageJson);
    if (unexpected.length > 0) {
      throw new Error(
        `the tarball of ${result.name} holds ${unexpected.join(
          ', ',
        )}: a published plugin holds only dist/, README.md, CHANGELOG.md, package.json (and config.schema.json where it reads config); fix "files" in plugins/${folder}/package.json`,
      );
    }
    const missing = ['README.md', 'CHANGELOG.md', 'dist/'].filter(
      required => !files.some(f => f === required || f.startsWith(required)),
    );
    if (missing.length > 0) {
      throw new Error(
        `the tarball of ${result.name} has no ${missing.join(', ')}`,
      );
    }
    const tarball = join(outDir, result.filename);
    const manifest = JSON.parse(
      run('tar', ['-xzOf', tarball, 'package/package.json'], outDir, log),
    ) as PackedPlugin['manifest'];
    const entryPoints = JSON.stringify({
      main: manifest.main,
      types: manifest.types,
      exports: manifest.exports,
    });
    if (entryPoints.includes('src/')) {
      throw new Error(
        `the packed package.json of ${result.name} still points into src/ (prepack did not rewrite it): ${entryPoints}`,
      );
    }
    log(
      `packed ${result.filename} (${files.length} files) in ${(
        (Date.now() - t) /
        1000
      ).toFixed(1)}s`,
    );
    packed.push({ name: result.name, tarball, manifest });
  }
  return packed;
}
