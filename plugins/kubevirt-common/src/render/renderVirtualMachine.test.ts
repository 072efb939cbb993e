/**
 * @jest-environment node
 */
/* eslint-disable @backstage/no-mixed-plugin-imports */
// Test-only: kube-testenv runs the real kube-apiserver with KubeVirt's and CDI's CRDs.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  isAlias,
  isNode,
  parse,
  parseAllDocuments,
  parseDocument,
  visit,
} from 'yaml';
import {
  ControlPlane,
  kubeConfigFor,
  kubeRequest,
  startControlPlane,
} from '@vmportal/kube-testenv';
import {
  createTestNamespace,
  deleteTestNamespace,
  testClusters,
} from '@vmportal/kube-testenv/testing';
import { validateVirtualMachineRequest } from '../request/validateVirtualMachineRequest';
import { renderVirtualMachine } from './renderVirtualMachine';
import { toYaml } from './serializeYaml';

const KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINM9D3q3W5gZVBV9E7y3veKAcn0nc0NlFyAWWU46KMLJ jane@laptop';

const input = () => ({
  name: 'web-01',
  namespace: 'team-a',
  cluster: 'prod-east',
  owner: 'team-a',
  description: 'Payments front end\nkind: Secret',
  size: { instancetype: { name: 'u1.medium' }, preference: { name: 'fedora' } },
  image: {
    registry: { url: 'docker://quay.io/containerdisks/fedora:41' },
    size: '30Gi',
    storageClass: 'fast',
  },
  disks: [{ name: 'data', size: '100Gi' }],
  networkInterfaces: [
    { name: 'default', type: 'pod' },
    { name: 'storage', type: 'multus', networkName: 'infra/storage-net' },
  ],
  sshPublicKey: KEY,
  labels: { tier: 'on', app: 'web', mode: '0755' },
});

/** The same request with every object's keys in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversedKeys(v)]),
  );
}

function assertPlainYaml(text: string) {
  const document = parseDocument(text);
  expect(document.errors).toEqual([]);
  visit(document, (_key, node) => {
    if (isAlias(node)) throw new Error('alias in output');
    if (isNode(node)) {
      expect((node as { anchor?: string }).anchor).toBeUndefined();
      expect((node as { tag?: string }).tag).toBeUndefined();
    }
  });
  expect(text).not.toMatch(/(^|\s)[&*!][^\s]/m);
  expect(parseAllDocuments(text)).toHaveLength(1);
}

describe('renderVirtualMachine', () => {
  it('renders the VM as this exact YAML', () => {
    const request = validateVirtualMachineRequest(input());
    const { files, directory } = renderVirtualMachine(request, {
      requestedBy: 'user:default/jane',
    });
    expect(directory).toBe('clusters/prod-east/team-a/web-01/');
    expect(Object.keys(files)).toEqual([
      'clusters/prod-east/team-a/web-01/virtualmachine.yaml',
      'clusters/prod-east/team-a/web-01/kustomization.yaml',
    ]);
    expect(files['clusters/prod-east/team-a/web-01/kustomization.yaml']).toBe(
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - virtualmachine.yaml\n',
    );
    expect(files['clusters/prod-east/team-a/web-01/virtualmachine.yaml'])
      .toBe(`apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: web-01
  namespace: team-a
  annotations:
    vmportal.io/description: |-
      Payments front end
      kind: Secret
    vmportal.io/owner: group:default/team-a
    vmportal.io/requested-by: user:default/jane
  labels:
    app: web
    app.kubernetes.io/managed-by: vmportal
    mode: "0755"
    tier: "on"
    vmportal.io/owner: team-a
spec:
  dataVolumeTemplates:
    - metadata:
        name: web-01-rootdisk
        labels:
          app.kubernetes.io/managed-by: vmportal
          vmportal.io/owner: team-a
      spec:
        source:
          registry:
            url: docker://quay.io/containerdisks/fedora:41
        storage:
          resources:
            requests:
              storage: 30Gi
          storageClassName: fast
    - metadata:
        name: web-01-data
        labels:
          app.kubernetes.io/managed-by: vmportal
          vmportal.io/owner: team-a
      spec:
        source:
          blank: {}
        storage:
          resources:
            requests:
              storage: 100Gi
  instancetype:
    kind: VirtualMachineClusterInstancetype
    name: u1.medium
  preference:
    kind: VirtualMachineClusterPreference
    name: fedora
  runStrategy: Always
  template:
    metadata:
      labels:
        app: web
        mode: "0755"
        tier: "on"
    spec:
      domain:
        devices:
          disks:
            - name: rootdisk
              bootOrder: 1
              disk: {}
            - name: data
              disk: {}
            - name: cloudinitdisk
              disk: {}
          interfaces:
            - name: default
              masquerade: {}
            - name: storage
              bridge: {}
      networks:
        - name: default
          pod: {}
        - name: storage
          multus:
            networkName: infra/storage-net
      volumes:
        - name: rootdisk
          dataVolume:
            name: web-01-rootdisk
        - name: data
          dataVolume:
            name: web-01-data
        - name: cloudinitdisk
          cloudInitNoCloud:
            userData: |
              #cloud-config
              ssh_authorized_keys:
                - ${KEY}
              ssh_pwauth: false
`);
  });

  it('gives the same bytes for the same request, whatever the order of its fields', () => {
    const a = renderVirtualMachine(validateVirtualMachineRequest(input()));
    const b = renderVirtualMachine(
      validateVirtualMachineRequest(reversedKeys(input())),
    );
    expect(b.files).toEqual(a.files);
    expect(Object.keys(b.files)).toEqual(Object.keys(a.files));
  });

  it.each(['templates', 'standalone'] as const)(
    'writes files that parse back to exactly its objects, with no anchors, aliases or tags (%s DataVolumes)',
    dataVolumes => {
      const request = validateVirtualMachineRequest(input());
      const rendered = renderVirtualMachine(request, {
        dataVolumes,
        requestedBy: 'user:default/jane',
      });
      const files = Object.entries(rendered.files);
      expect(files).toHaveLength(rendered.objects.length + 1);
      rendered.objects.forEach((object, i) => {
        const [, text] = files[i];
        assertPlainYaml(text);
        expect(parse(text)).toEqual(object);
        expect(parse(text, { version: '1.1' })).toEqual(object);
      });
      const kustomization = parse(files[files.length - 1][1]);
      expect(kustomization.resources).toEqual(
        files.slice(0, -1).map(([p]) => p.split('/').pop()),
      );
    },
  );

  it('in standalone mode writes one DataVolume per persistent disk that the VM refers to', () => {
    const rendered = renderVirtualMachine(
      validateVirtualMachineRequest(input()),
      {
        dataVolumes: 'standalone',
      },
    );
    expect(rendered.objects.map(o => `${o.kind}/${o.metadata.name}`)).toEqual([
      'VirtualMachine/web-01',
      'DataVolume/web-01-rootdisk',
      'DataVolume/web-01-data',
    ]);
    expect(Object.keys(rendered.files)).toEqual([
      'clusters/prod-east/team-a/web-01/virtualmachine.yaml',
      'clusters/prod-east/team-a/web-01/datavolume-web-01-rootdisk.yaml',
      'clusters/prod-east/team-a/web-01/datavolume-web-01-data.yaml',
      'clusters/prod-east/team-a/web-01/kustomization.yaml',
    ]);
    const [vm, root] = rendered.objects;
    expect(vm.spec?.dataVolumeTemplates).toBeUndefined();
    expect(root).toMatchObject({
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      metadata: { namespace: 'team-a' },
      spec: {
        source: {
          registry: { url: 'docker://quay.io/containerdisks/fedora:41' },
        },
      },
    });
  });

  it('renders a custom size, virtio disks without a preference, and no password ever', () => {
    const request = validateVirtualMachineRequest({
      ...input(),
      owner: 'group:platform/ops',
      size: { cpu: { cores: 4, sockets: 2 }, memory: '16Gi' },
      image: { containerDisk: { image: 'quay.io/containerdisks/fedora:41' } },
      disks: [],
      sshPublicKey: undefined,
      description: undefined,
    });
    const [vm] = renderVirtualMachine(request).objects;
    const template = (vm.spec as any).template.spec;
    expect(template.domain.cpu).toEqual({ cores: 4, sockets: 2 });
    expect(template.domain.memory).toEqual({ guest: '16Gi' });
    expect(template.domain.devices.disks).toEqual([
      { name: 'rootdisk', bootOrder: 1, disk: { bus: 'virtio' } },
      { name: 'cloudinitdisk', disk: { bus: 'virtio' } },
    ]);
    expect(vm.spec?.instancetype).toBeUndefined();
    // The group is not in the default catalog namespace: no label can hold it.
    expect(vm.metadata.labels?.['vmportal.io/owner']).toBeUndefined();
    expect(vm.metadata.annotations).toEqual({
      'vmportal.io/owner': 'group:platform/ops',
    });
    const userData = template.volumes[1].cloudInitNoCloud.userData;
    expect(parse(userData)).toEqual({ ssh_pwauth: false });
    expect(userData).not.toMatch(/passw|chpasswd/i);
  });

  it('places files by the configured path template', () => {
    const request = validateVirtualMachineRequest(input());
    expect(
      renderVirtualMachine(request, { pathTemplate: 'vms/{cluster}/{name}' })
        .directory,
    ).toBe('vms/prod-east/web-01/');
    for (const template of [
      '/abs/{name}',
      '../{name}',
      'a/../../{name}',
      'x/{owner}/',
      'a b/{name}',
      'a//{name}',
    ]) {
      expect(() =>
        renderVirtualMachine(request, { pathTemplate: template }),
      ).toThrow(/pathTemplate/);
    }
  });

  it('refuses a requester that is not an entity ref', () => {
    const request = validateVirtualMachineRequest(input());
    for (const requestedBy of [
      'jane',
      'user:default/jane\nx: y',
      'user:default/jane doe',
      '',
    ]) {
      expect(() => renderVirtualMachine(request, { requestedBy })).toThrow(
        /requestedBy/,
      );
    }
  });

  it('never emits anchors or aliases, even for repeated objects', () => {
    const shared = { a: 1 };
    const text = toYaml({
      first: shared,
      second: shared,
      list: [shared, shared],
    });
    assertPlainYaml(text);
    expect(parse(text)).toEqual({
      first: { a: 1 },
      second: { a: 1 },
      list: [{ a: 1 }, { a: 1 }],
    });
  });
});

describe('rendered manifests on the real kube-apiserver', () => {
  let plane: ControlPlane | undefined;
  let cluster: ReturnType<typeof testClusters>[number];
  let namespace: string;

  beforeAll(async () => {
    if (process.env.KUBE_TESTENV_DIR) {
      cluster = testClusters()[0];
    } else {
      plane = await startControlPlane({
        dir: fs.mkdtempSync(path.join(tmpdir(), 'kubevirt-common-')),
        clusters: 1,
        simulator: false,
      });
      cluster = plane.clusters[0];
    }
    namespace = await createTestNamespace(cluster, 'render');
  }, 30 * 60_000);

  afterAll(async () => {
    if (cluster && namespace) await deleteTestNamespace(cluster, namespace);
    if (plane) {
      await plane.stop();
      fs.rmSync(plane.dir, { recursive: true, force: true });
    }
  }, 120_000);

  const requests: Array<
    [string, Record<string, unknown>, 'templates' | 'standalone']
  > = [
    ['registry import, data disk, two NICs', input(), 'templates'],
    ['the same with standalone DataVolumes', input(), 'standalone'],
    [
      'DataSource clone, custom size, bridge on the pod network',
      {
        ...input(),
        size: {
          cpu: { cores: 2, sockets: 2, threads: 1 },
          memory: '6Gi',
          preference: { name: 'windows.11.virtio' },
        },
        image: {
          dataSource: { name: 'win11', namespace: 'os-images' },
          size: '80Gi',
        },
        networkInterfaces: [
          { name: 'default', type: 'pod', binding: 'bridge' },
        ],
        runStrategy: 'Manual',
      },
      'templates',
    ],
    [
      'containerDisk, no data disks, no SSH key, no labels',
      {
        ...input(),
        image: { containerDisk: { image: 'quay.io/containerdisks/fedora:41' } },
        disks: [],
        sshPublicKey: undefined,
        labels: {},
      },
      'templates',
    ],
    [
      'http import',
      {
        ...input(),
        image: {
          http: { url: 'https://example.com/disk.qcow2' },
          size: '20Gi',
        },
      },
      'standalone',
    ],
  ];

  it.each(requests)(
    '%s: KubeVirt and CDI accept every object (strict server-side dry run)',
    async (_title, raw, dataVolumes) => {
      const request = validateVirtualMachineRequest({ ...raw, namespace });
      const rendered = renderVirtualMachine(request, {
        dataVolumes,
        requestedBy: 'user:default/jane',
      });
      const kc = kubeConfigFor(cluster);
      for (const [file, text] of Object.entries(rendered.files)) {
        const object = parse(text);
        if (object.kind === 'Kustomization') continue;
        const resource =
          object.kind === 'VirtualMachine'
            ? 'kubevirt.io/v1/namespaces/NS/virtualmachines'
            : 'cdi.kubevirt.io/v1beta1/namespaces/NS/datavolumes';
        const created = await kubeRequest<any>(
          kc,
          'POST',
          `/apis/${resource.replace(
            'NS',
            namespace,
          )}?dryRun=All&fieldValidation=Strict`,
          object,
        );
        expect([file, created.spec]).toEqual([file, object.spec]);
        expect(created.metadata.labels).toEqual(object.metadata.labels);
        expect(created.metadata.annotations).toEqual(
          object.metadata.annotations,
        );
      }
    },
    60_000,
  );
});
