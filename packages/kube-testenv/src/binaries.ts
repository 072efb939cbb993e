/*
 * Builds (once per change of pins or Go sources) the real control-plane
 * binaries and KubeVirt tools from the Go modules under ../go:
 *
 *   go/controlplane  kube-apiserver, kube-controller-manager (k8s.io/kubernetes), certgen
 *   go/etcd          etcd (go.etcd.io/etcd/server/v3, its own module: see its go.mod)
 *   go/kubevirt      crdgen, oracle (kubevirt.io/kubevirt + CDI), cdioracle (CDI's DataVolume controllers)
 *
 * Results live in <cache>/kube-testenv/<hash>/ where <hash> covers go/pins.json,
 * every go.mod/go.sum and .go file under go/, the build recipe and the Go
 * version. A build is written to a temporary folder and renamed into place,
 * under a lock file, so concurrent callers neither corrupt nor duplicate it.
 *
 * Node built-ins only; CommonJS-friendly (uses __dirname).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Pins in go/pins.json: the one place versions are chosen. */
export interface KubeTestenvPins {
  kubernetes: string;
  etcd: string;
  kubevirt: string;
  cdi: string;
}

export interface KubeTestenvVersions extends KubeTestenvPins {
  /** common-instancetypes bundle version shipped inside KubeVirt */
  commonInstancetypes: string;
  /** `go version` of the toolchain that built the binaries */
  go: string;
}

export interface KubeTestenvBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  certgen: string;
  crdgen: string;
  oracle: string;
  /** CDI's DataVolume controllers as a process (see go/kubevirt/cmd/cdioracle) */
  cdioracle: string;
  /** one YAML file per CRD (KubeVirt + CDI) and versions.json */
  crdDir: string;
  /** KubeVirt's bundled common cluster instancetypes and preferences, one YAML per object */
  instancetypesDir: string;
  versions: KubeTestenvVersions;
  /** the <cache>/kube-testenv/<hash> folder holding all of the above */
  dir: string;
}

export interface EnsureBinariesOptions {
  /** default: $VMPORTAL_CACHE_DIR, else ~/.cache/vmportal */
  cacheDir?: string;
  log?: (line: string) => void;
  /** how long to wait for another process's build (default 90 minutes) */
  lockTimeoutMs?: number;
}

/** Bump when the build recipe (flags, layout) changes: it is part of the hash. */
const RECIPE_VERSION = 'kube-testenv-build-3';

/**
 * `go build` flags. Kubernetes binaries get their version stamped the way
 * Kubernetes' own build does (else /version says v0.0.0-master).
 */
export function buildFlags(
  spec: { module: string },
  pins: KubeTestenvPins,
): string[] {
  const ldflags = ['-s', '-w'];
  if (spec.module === 'controlplane') {
    const m = /^v(\d+)\.(\d+)\./.exec(pins.kubernetes);
    for (const pkg of [
      'k8s.io/component-base/version',
      'k8s.io/client-go/pkg/version',
    ]) {
      ldflags.push(
        `-X ${pkg}.gitVersion=${pins.kubernetes}`,
        `-X ${pkg}.gitMajor=${m?.[1] ?? ''}`,
        `-X ${pkg}.gitMinor=${m?.[2] ?? ''}`,
        `-X ${pkg}.gitTreeState=clean`,
      );
    }
  }
  return ['-trimpath', `-ldflags=${ldflags.join(' ')}`];
}
const MANIFEST = 'manifest.json';

interface BinarySpec {
  key:
    | 'etcd'
    | 'kubeApiserver'
    | 'kubeControllerManager'
    | 'certgen'
    | 'crdgen'
    | 'oracle'
    | 'cdioracle';
  file: string;
  module: 'controlplane' | 'etcd' | 'kubevirt';
  pkg: string;
}

const BINARIES: BinarySpec[] = [
  {
    key: 'certgen',
    file: 'certgen',
    module: 'controlplane',
    pkg: './cmd/certgen',
  },
  {
    key: 'etcd',
    file: 'etcd',
    module: 'etcd',
    pkg: 'go.etcd.io/etcd/server/v3',
  },
  {
    key: 'kubeApiserver',
    file: 'kube-apiserver',
    module: 'controlplane',
    pkg: 'k8s.io/kubernetes/cmd/kube-apiserver',
  },
  {
    key: 'kubeControllerManager',
    file: 'kube-controller-manager',
    module: 'controlplane',
    pkg: 'k8s.io/kubernetes/cmd/kube-controller-manager',
  },
  { key: 'crdgen', file: 'crdgen', module: 'kubevirt', pkg: './cmd/crdgen' },
  { key: 'oracle', file: 'oracle', module: 'kubevirt', pkg: './cmd/oracle' },
  {
    key: 'cdioracle',
    file: 'cdioracle',
    module: 'kubevirt',
    pkg: './cmd/cdioracle',
  },
];

/** packages/kube-testenv/go (works from src/ under tsx and from a compiled dist/). */
export function goRootDir(): string {
  // This package only ever runs from source (tsx), never built.
  // eslint-disable-next-line no-restricted-syntax
  return path.resolve(__dirname, '..', 'go');
}

/** Folder of one of the Go modules. */
export function goModuleDir(
  module: 'controlplane' | 'etcd' | 'kubevirt' = 'controlplane',
): string {
  return path.join(goRootDir(), module);
}

export function defaultCacheDir(): string {
  return (
    process.env.VMPORTAL_CACHE_DIR ??
    path.join(os.homedir(), '.cache', 'vmportal')
  );
}

export function readPins(goDir: string = goRootDir()): KubeTestenvPins {
  const file = path.join(goDir, 'pins.json');
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(
      `kube-testenv: cannot read ${file}: ${(e as Error).message}`,
    );
  }
  const pins = raw as Record<string, unknown>;
  for (const k of ['kubernetes', 'etcd', 'kubevirt', 'cdi']) {
    if (
      typeof pins[k] !== 'string' ||
      !/^v\d+\.\d+\.\d+$/.test(pins[k] as string)
    ) {
      throw new Error(
        `kube-testenv: ${file}: "${k}" must be a version like v1.2.3, got ${JSON.stringify(
          pins[k],
        )}`,
      );
    }
  }
  return pins as unknown as KubeTestenvPins;
}

/** Versions a go.mod's require lines name for each module path (replace lines skipped). */
function requiredVersions(goMod: string): Map<string, string> {
  const out = new Map<string, string>();
  let block: string | undefined;
  for (const rawLine of goMod.split('\n')) {
    const line = rawLine.replace(/\/\/.*$/, '').trim();
    if (!line) continue;
    const open = /^(\w+)\s*\($/.exec(line);
    if (open) {
      block = open[1];
      continue;
    }
    if (line === ')') {
      block = undefined;
      continue;
    }
    const m =
      block === 'require'
        ? /^(\S+)\s+(\S+)$/.exec(line)
        : !block && /^require\s+(\S+)\s+(\S+)$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/** `old => new version` replace lines of a go.mod. */
function replacements(
  goMod: string,
): Array<{ from: string; to: string; version?: string }> {
  const out: Array<{ from: string; to: string; version?: string }> = [];
  for (const rawLine of goMod.split('\n')) {
    const line = rawLine
      .replace(/\/\/.*$/, '')
      .trim()
      .replace(/^replace\s+/, '');
    const m = /^(\S+)(?:\s+\S+)?\s+=>\s+(\S+)(?:\s+(\S+))?$/.exec(line);
    if (m) out.push({ from: m[1], to: m[2], version: m[3] });
  }
  return out;
}

/**
 * Checks that every go.mod agrees with go/pins.json. Throws an Error listing
 * each disagreement and how to fix it.
 */
export function checkPins(goDir: string = goRootDir()): KubeTestenvPins {
  const pins = readPins(goDir);
  const problems: string[] = [];
  const readMod = (module: string): string => {
    const file = path.join(goDir, module, 'go.mod');
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      problems.push(`missing ${file}`);
      return '';
    }
  };
  const expect = (
    module: string,
    mod: string,
    modulePath: string,
    want: string,
    pinKey: string,
  ) => {
    const got = requiredVersions(mod).get(modulePath);
    if (got !== want) {
      problems.push(
        `go/pins.json has ${pinKey} ${want} but go/${module}/go.mod requires ${modulePath} ${
          got ?? '(nothing)'
        }`,
      );
    }
  };

  const cp = readMod('controlplane');
  if (cp) {
    expect(
      'controlplane',
      cp,
      'k8s.io/kubernetes',
      pins.kubernetes,
      'kubernetes',
    );
    const staging = pins.kubernetes.replace(/^v1\./, 'v0.');
    const stagingReplaces = replacements(cp).filter(
      r => r.from.startsWith('k8s.io/') && r.from === r.to,
    );
    if (stagingReplaces.length === 0)
      problems.push(
        'go/controlplane/go.mod has no k8s.io staging replace lines',
      );
    for (const r of stagingReplaces) {
      if (r.version !== staging) {
        problems.push(
          `go/controlplane/go.mod replaces ${r.from} with ${
            r.version ?? '?'
          }, but kubernetes ${pins.kubernetes} needs ${staging}`,
        );
      }
    }
  }
  const etcd = readMod('etcd');
  if (etcd)
    expect('etcd', etcd, 'go.etcd.io/etcd/server/v3', pins.etcd, 'etcd');
  const kv = readMod('kubevirt');
  if (kv) {
    expect('kubevirt', kv, 'kubevirt.io/kubevirt', pins.kubevirt, 'kubevirt');
    expect(
      'kubevirt',
      kv,
      'kubevirt.io/containerized-data-importer',
      pins.cdi,
      'cdi',
    );
  }
  if (problems.length) {
    throw new Error(
      `kube-testenv: Go pins disagree:\n  - ${problems.join('\n  - ')}\n` +
        'Make go/pins.json and the go.mod files name the same versions (edit go.mod, then run ' +
        '`GOTOOLCHAIN=local go mod tidy` in that module).',
    );
  }
  return pins;
}

/** Files that determine the build: pins.json, go.mod/go.sum and non-test .go files under go/. */
export function hashedFiles(goDir: string = goRootDir()): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, ent.name);
      if (ent.isDirectory()) {
        if (ent.name !== 'testdata' && !ent.name.startsWith('.')) walk(p);
      } else if (
        ent.isFile() &&
        ((ent.name.endsWith('.go') && !ent.name.endsWith('_test.go')) ||
          ent.name === 'go.mod' ||
          ent.name === 'go.sum')
      ) {
        out.push(p);
      }
    }
  };
  walk(goDir);
  out.push(path.join(goDir, 'pins.json'));
  return out.map(p => path.relative(goDir, p).split(path.sep).join('/')).sort();
}

/** sha256 (hex, first 20 chars) of the build inputs plus Go version and recipe. */
export function sourceHash(
  goVersion: string,
  goDir: string = goRootDir(),
): string {
  const h = createHash('sha256');
  h.update(
    `${RECIPE_VERSION}\n${goVersion}\n${process.platform}/${process.arch}\n`,
  );
  for (const rel of hashedFiles(goDir)) {
    const data = fs.readFileSync(path.join(goDir, rel));
    h.update(`${rel}\0${data.length}\0`);
    h.update(data);
  }
  return h.digest('hex').slice(0, 20);
}

interface RunResult {
  code: number | null;
  output: string;
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: string[] = [];
    let size = 0;
    const keep = (b: Buffer) => {
      chunks.push(b.toString('utf8'));
      size += b.length;
      while (size > 256 * 1024 && chunks.length > 1)
        size -= Buffer.byteLength(chunks.shift()!);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', code => resolve({ code, output: chunks.join('') }));
  });
}

function tail(text: string, lines = 60): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

function findGo(): string {
  if (process.env.VMPORTAL_GO) return process.env.VMPORTAL_GO;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, 'go'))) return path.join(dir, 'go');
  }
  if (fs.existsSync('/usr/local/go/bin/go')) return '/usr/local/go/bin/go';
  throw new Error(
    'kube-testenv: no `go` found on PATH (or /usr/local/go/bin/go); install Go 1.26+ or set VMPORTAL_GO',
  );
}

function goEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
    // readonly: a build must never rewrite go.mod/go.sum; no VCS stamping (the repo may have no commits).
    GOFLAGS: '-mod=readonly -buildvcs=false',
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readManifest(dir: string): KubeTestenvBinaries | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as {
      versions: KubeTestenvVersions;
    };
    const bin = (f: string) => path.join(dir, 'bin', f);
    const result: KubeTestenvBinaries = {
      etcd: bin('etcd'),
      kubeApiserver: bin('kube-apiserver'),
      kubeControllerManager: bin('kube-controller-manager'),
      certgen: bin('certgen'),
      crdgen: bin('crdgen'),
      oracle: bin('oracle'),
      cdioracle: bin('cdioracle'),
      crdDir: path.join(dir, 'crds'),
      instancetypesDir: path.join(dir, 'instancetypes'),
      versions: m.versions,
      dir,
    };
    for (const b of BINARIES) fs.accessSync(result[b.key], fs.constants.X_OK);
    fs.accessSync(path.join(result.crdDir, 'versions.json'));
    return result;
  } catch {
    return undefined;
  }
}

/**
 * Lock: an exclusive-create file holding {pid, host, started}. A lock whose
 * process is gone (same host) is taken over.
 */
async function withLock<T>(
  lockFile: string,
  timeoutMs: number,
  log: (l: string) => void,
  isDone: () => boolean,
  body: () => Promise<T>,
): Promise<T | undefined> {
  const started = Date.now();
  let announced = false;
  for (;;) {
    try {
      const fd = fs.openSync(lockFile, 'wx');
      fs.writeSync(
        fd,
        JSON.stringify({
          pid: process.pid,
          host: os.hostname(),
          started: new Date().toISOString(),
        }),
      );
      fs.closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    // Someone else holds it: finished meanwhile?
    if (isDone()) return undefined;
    let holder: { pid?: number; host?: string } = {};
    try {
      holder = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
    } catch {
      // being written or just removed: retry
    }
    if (holder.pid && holder.host === os.hostname() && !pidAlive(holder.pid)) {
      log(
        `kube-testenv: removing stale lock ${lockFile} (pid ${holder.pid} is gone)`,
      );
      fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (!announced) {
      log(
        `kube-testenv: waiting for another build (lock ${lockFile}, pid ${
          holder.pid ?? '?'
        })`,
      );
      announced = true;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `kube-testenv: timed out after ${Math.round(
          timeoutMs / 1000,
        )}s waiting for lock ${lockFile}`,
      );
    }
    await sleep(1000);
  }
  try {
    return await body();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

export async function ensureBinaries(
  options: EnsureBinariesOptions = {},
): Promise<KubeTestenvBinaries> {
  const log = options.log ?? (() => {});
  const goDir = goRootDir();
  const pins = checkPins(goDir);
  const go = findGo();
  const env = goEnv();

  const ver = await run(go, ['env', 'GOVERSION'], { cwd: goDir, env });
  if (ver.code !== 0)
    throw new Error(
      `kube-testenv: \`${go} env GOVERSION\` failed:\n${tail(ver.output)}`,
    );
  const goVersion = ver.output.trim();

  const hash = sourceHash(goVersion, goDir);
  const root = path.join(options.cacheDir ?? defaultCacheDir(), 'kube-testenv');
  const finalDir = path.join(root, hash);
  const ready = readManifest(finalDir);
  if (ready) return markUsed(ready);

  fs.mkdirSync(root, { recursive: true });
  const built = await withLock(
    path.join(root, `${hash}.lock`),
    options.lockTimeoutMs ?? 90 * 60 * 1000,
    log,
    () => readManifest(finalDir) !== undefined,
    async () => {
      const again = readManifest(finalDir);
      if (again) return again;
      return build({
        goDir,
        go,
        env,
        goVersion,
        pins,
        root,
        finalDir,
        hash,
        log,
      });
    },
  );
  const result = built ?? readManifest(finalDir);
  if (!result)
    throw new Error(
      `kube-testenv: another process held the lock but ${finalDir} is not complete`,
    );
  pruneCache(root, hash, log);
  return markUsed(result);
}

const LAST_USED = 'last-used';
const PRUNE_AFTER_MS = 7 * 24 * 3600 * 1000;

function markUsed(b: KubeTestenvBinaries): KubeTestenvBinaries {
  try {
    fs.writeFileSync(
      path.join(b.dir, LAST_USED),
      `${new Date().toISOString()}\n`,
    );
  } catch {
    // read-only cache: fine
  }
  return b;
}

/**
 * Removes builds of other hashes unused for a week, and temporary folders
 * left by builds whose process is gone. Never touches the current hash.
 */
function pruneCache(root: string, keep: string, log: (l: string) => void) {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, { withFileTypes: true });
  } catch {
    return;
  }
  for (const ent of entries) {
    if (!ent.isDirectory() || ent.name === keep) continue;
    const p = path.join(root, ent.name);
    try {
      const tmp = /^\.tmp-[0-9a-f]+-(\d+)-[0-9a-f]+$/.exec(ent.name);
      if (tmp) {
        if (!pidAlive(Number(tmp[1]))) {
          fs.rmSync(p, { recursive: true, force: true });
          log(`kube-testenv: removed leftover ${p}`);
        }
        continue;
      }
      if (!/^[0-9a-f]{20}$/.test(ent.name)) continue;
      if (fs.existsSync(path.join(root, `${ent.name}.lock`))) continue;
      const marker = fs.existsSync(path.join(p, LAST_USED))
        ? path.join(p, LAST_USED)
        : path.join(p, MANIFEST);
      const st = fs.statSync(marker, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs > PRUNE_AFTER_MS) {
        fs.rmSync(p, { recursive: true, force: true });
        log(`kube-testenv: removed build ${p}, unused for a week`);
      }
    } catch {
      // another process may be pruning too
    }
  }
}

async function build(ctx: {
  goDir: string;
  go: string;
  env: NodeJS.ProcessEnv;
  goVersion: string;
  pins: KubeTestenvPins;
  root: string;
  finalDir: string;
  hash: string;
  log: (l: string) => void;
}): Promise<KubeTestenvBinaries> {
  const { goDir, go, env, log } = ctx;
  const tmp = path.join(
    ctx.root,
    `.tmp-${ctx.hash}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  fs.mkdirSync(path.join(tmp, 'bin'), { recursive: true });
  const totalStart = Date.now();
  const timings: Record<string, number> = {};
  log(
    `kube-testenv: building binaries (${ctx.goVersion}, hash ${ctx.hash}) into ${ctx.finalDir}`,
  );
  try {
    for (const b of BINARIES) {
      const start = Date.now();
      const out = path.join(tmp, 'bin', b.file);
      const cwd = path.join(goDir, b.module);
      log(`kube-testenv: go build ${b.pkg} (module go/${b.module}) ...`);
      const res = await run(
        go,
        ['build', ...buildFlags(b, ctx.pins), '-o', out, b.pkg],
        {
          cwd,
          env,
        },
      );
      const secs = (Date.now() - start) / 1000;
      timings[b.file] = secs;
      if (res.code !== 0) {
        throw new Error(
          `kube-testenv: \`go build ${b.pkg}\` in go/${b.module} failed (exit ${
            res.code
          }) after ${secs.toFixed(1)}s:\n${tail(res.output)}`,
        );
      }
      log(
        `kube-testenv: built ${b.file} in ${secs.toFixed(1)}s (${(
          fs.statSync(out).size / 1048576
        ).toFixed(1)} MiB)`,
      );
    }

    const start = Date.now();
    const crdDir = path.join(tmp, 'crds');
    const itDir = path.join(tmp, 'instancetypes');
    const res = await run(
      path.join(tmp, 'bin', 'crdgen'),
      ['--out', crdDir, '--instancetypes-out', itDir],
      {
        cwd: tmp,
        env: process.env,
      },
    );
    if (res.code !== 0)
      throw new Error(
        `kube-testenv: crdgen failed (exit ${res.code}):\n${tail(res.output)}`,
      );
    timings.crdgenRun = (Date.now() - start) / 1000;
    const gen = JSON.parse(
      fs.readFileSync(path.join(crdDir, 'versions.json'), 'utf8'),
    ) as Record<string, unknown>;
    log(
      `kube-testenv: crdgen wrote ${
        (gen.crds as unknown[]).length
      } CRDs and the instancetypes in ${timings.crdgenRun.toFixed(1)}s`,
    );

    for (const [key, pinned] of [
      ['kubevirt', ctx.pins.kubevirt],
      ['cdi', ctx.pins.cdi],
    ] as const) {
      if (gen[key] !== pinned) {
        throw new Error(
          `kube-testenv: crdgen was built with ${key} ${String(
            gen[key],
          )}, but go/pins.json pins ${pinned}`,
        );
      }
    }
    const versions: KubeTestenvVersions = {
      ...ctx.pins,
      commonInstancetypes: String(gen.commonInstancetypes ?? ''),
      go: ctx.goVersion,
    };
    fs.writeFileSync(
      path.join(tmp, MANIFEST),
      `${JSON.stringify(
        {
          hash: ctx.hash,
          versions,
          timingsSeconds: timings,
          builtAt: new Date().toISOString(),
        },
        null,
        2,
      )}\n`,
    );

    try {
      fs.renameSync(tmp, ctx.finalDir);
    } catch (e) {
      if (readManifest(ctx.finalDir)) {
        // A complete copy is already there (built outside the lock, e.g. by hand): keep it.
        fs.rmSync(tmp, { recursive: true, force: true });
      } else if (fs.existsSync(ctx.finalDir)) {
        // An incomplete one (a binary missing, e.g. written by code that listed fewer
        // binaries): we hold the lock, so replace it.
        fs.rmSync(ctx.finalDir, { recursive: true, force: true });
        fs.renameSync(tmp, ctx.finalDir);
      } else throw e;
    }
    log(
      `kube-testenv: all binaries ready in ${(
        (Date.now() - totalStart) /
        1000
      ).toFixed(1)}s`,
    );
    const result = readManifest(ctx.finalDir);
    if (!result)
      throw new Error(
        `kube-testenv: ${ctx.finalDir} is incomplete after the build`,
      );
    return result;
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
