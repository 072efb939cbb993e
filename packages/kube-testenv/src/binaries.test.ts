import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  checkPins,
  goModuleDir,
  goRootDir,
  hashedFiles,
  readPins,
  sourceHash,
} from './binaries';

const tempDirs: string[] = [];
afterAll(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

function fakeGoDir(
  overrides: {
    pins?: object;
    controlplane?: string;
    etcd?: string;
    kubevirt?: string;
  } = {},
): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-testenv-pins-'));
  tempDirs.push(dir);
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  write(
    'pins.json',
    JSON.stringify(
      overrides.pins ?? {
        kubernetes: 'v1.37.2',
        etcd: 'v3.5.35',
        kubevirt: 'v1.9.0',
        cdi: 'v1.65.0',
      },
    ),
  );
  write(
    'controlplane/go.mod',
    overrides.controlplane ??
      [
        'module x/controlplane',
        '',
        'go 1.26.0',
        '',
        'require (',
        '\tk8s.io/kubernetes v1.37.2',
        '\tk8s.io/api v0.0.0 // indirect',
        ')',
        '',
        'replace (',
        '\tk8s.io/api => k8s.io/api v0.37.2',
        '\tk8s.io/client-go => k8s.io/client-go v0.37.2',
        ')',
        '',
      ].join('\n'),
  );
  write(
    'etcd/go.mod',
    overrides.etcd ??
      'module x/etcd\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 v3.5.35\n',
  );
  write(
    'kubevirt/go.mod',
    overrides.kubevirt ??
      [
        'module x/kubevirt',
        'require (',
        '\tkubevirt.io/containerized-data-importer v1.65.0',
        '\tkubevirt.io/containerized-data-importer-api v1.66.0 // indirect',
        '\tkubevirt.io/kubevirt v1.9.0',
        ')',
        'replace kubevirt.io/containerized-data-importer-api => kubevirt.io/containerized-data-importer-api v1.65.0',
        '',
      ].join('\n'),
  );
  write('kubevirt/cmd/x/main.go', 'package main\n\nfunc main() {}\n');
  write('kubevirt/cmd/x/main_test.go', 'package main\n');
  return dir;
}

describe('kube-testenv Go pins', () => {
  it('agree with the go.mod files in this package', () => {
    const pins = checkPins();
    expect(pins.kubevirt).toMatch(/^v1\./);
    expect(readPins()).toEqual(pins);
    expect(goModuleDir('kubevirt')).toBe(path.join(goRootDir(), 'kubevirt'));
  });

  it('accepts consistent synthetic modules', () => {
    expect(checkPins(fakeGoDir()).cdi).toBe('v1.65.0');
  });

  it('reports a kubernetes pin that go.mod does not follow', () => {
    const dir = fakeGoDir({
      pins: {
        kubernetes: 'v1.37.3',
        etcd: 'v3.5.35',
        kubevirt: 'v1.9.0',
        cdi: 'v1.65.0',
      },
    });
    expect(() => checkPins(dir)).toThrow(
      /kubernetes v1\.37\.3 but go\/controlplane\/go\.mod requires k8s\.io\/kubernetes v1\.37\.2/,
    );
    expect(() => checkPins(dir)).toThrow(/needs v0\.37\.3/);
  });

  it('reports a staging replace at the wrong version', () => {
    const dir = fakeGoDir({
      controlplane:
        'module x\nrequire k8s.io/kubernetes v1.37.2\nreplace k8s.io/api => k8s.io/api v0.36.0\n',
    });
    expect(() => checkPins(dir)).toThrow(
      /replaces k8s\.io\/api with v0\.36\.0/,
    );
  });

  it('does not confuse the CDI api module with CDI', () => {
    const dir = fakeGoDir({
      pins: {
        kubernetes: 'v1.37.2',
        etcd: 'v3.5.35',
        kubevirt: 'v1.9.0',
        cdi: 'v1.66.0',
      },
    });
    expect(() => checkPins(dir)).toThrow(
      /cdi v1\.66\.0 but go\/kubevirt\/go\.mod requires kubevirt\.io\/containerized-data-importer v1\.65\.0/,
    );
  });

  it('rejects a malformed pin', () => {
    const dir = fakeGoDir({
      pins: {
        kubernetes: '1.37',
        etcd: 'v3.5.35',
        kubevirt: 'v1.9.0',
        cdi: 'v1.65.0',
      },
    });
    expect(() => readPins(dir)).toThrow(/"kubernetes" must be a version/);
  });
});

describe('kube-testenv source hash', () => {
  it('covers pins, go.mod and .go files and changes when they do', () => {
    const dir = fakeGoDir();
    expect(hashedFiles(dir)).toEqual([
      'controlplane/go.mod',
      'etcd/go.mod',
      'kubevirt/cmd/x/main.go',
      'kubevirt/go.mod',
      'pins.json',
    ]);
    const before = sourceHash('go1.26.0', dir);
    expect(sourceHash('go1.26.0', dir)).toBe(before);
    expect(sourceHash('go1.26.1', dir)).not.toBe(before);
    fs.appendFileSync(path.join(dir, 'kubevirt/cmd/x/main.go'), '// changed\n');
    expect(sourceHash('go1.26.0', dir)).not.toBe(before);
  });

  it('lists the real modules sources', () => {
    const files = hashedFiles();
    expect(files).toContain('controlplane/go.mod');
    expect(files).toContain('controlplane/go.sum');
    expect(files).toContain('etcd/go.sum');
    expect(files).toContain('kubevirt/cmd/oracle/main.go');
  });
});
