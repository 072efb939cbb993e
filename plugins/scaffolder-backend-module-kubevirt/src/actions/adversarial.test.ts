import { InputError } from '@backstage/errors';
import {
  renderVirtualMachine,
  validateVirtualMachineRequest,
  VirtualMachineRequestError,
} from '@vmportal/plugin-kubevirt-common';
import { deleteTestNamespace, testClusters } from '@vmportal/kube-testenv';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'yaml';
import {
  createQuotaNamespace,
  runAction,
  testAdmission,
  testAuditor,
  testClustersService,
  testConfig,
} from '../__testUtils__/testEnvironment';
import { readKubevirtGitopsConfig } from '../lib/KubevirtGitopsConfig';
import { EXAMPLE_SSH_KEY } from './exampleRequests';
import { createPlanVirtualMachineAction } from './planVirtualMachine';
import { createRenderVirtualMachineAction } from './renderVirtualMachine';
import { requestPartOf } from './virtualMachineRequestInput';

/*
 * Hostile input through both actions, as a template would pass it. Each case must end
 * in an InputError that says what is wrong, or in manifests that are exactly the
 * request (every file one YAML document, equal to the object the request builds, the
 * hostile text only ever a whole value where it was put) and that the cluster accepts.
 *
 * kubevirt-common's validator has its own table of 200+ hostile requests, but it is
 * local to its test file; these cases aim at what the actions add: the cluster and
 * namespace lookups, the workspace paths, the repository and the PR text.
 */

const RENDER_ONLY = ['targetPath', 'pathTemplate', 'repoUrl', 'dataVolumes'];

const HOSTILE: unknown[] = [
  'x\nkind: Secret',
  'a: b',
  '- item',
  '{a: 1}',
  '[1, 2]',
  '&anchor x',
  '*alias',
  '!!binary AAAA',
  '%YAML 1.1',
  '---',
  '...',
  '# comment',
  '| block',
  '"',
  "'",
  '`id`',
  '${{ secrets.backstageToken }}',
  '{{ 7*7 }}',
  '<script>alert(1)</script>',
  '| a | b |',
  '[x](javascript:alert(1))',
  '../../etc/passwd',
  '..',
  '/abs',
  'a/b',
  'a\\b',
  '%2e%2e%2f',
  'a\u0000b',
  'a\r\nb',
  '\u202eevil',
  'a\u2028b',
  'ＡＢＣ',
  '🙂',
  '$(reboot)',
  '; rm -rf /',
  'a'.repeat(5000),
  '',
  42,
  null,
  true,
  [],
  {},
];

/** Where each hostile value goes; the path in the input. */
const FIELDS = [
  'name',
  'namespace',
  'cluster',
  'owner',
  'description',
  'sshPublicKey',
  'size.instancetype.name',
  'size.preference.name',
  'image.containerDisk.image',
  'labels.app',
  'disks.0.name',
  'disks.0.size',
  'disks.0.storageClass',
  'targetPath',
  'pathTemplate',
  'repoUrl',
];

type Case = [title: string, field: string, input: Record<string, unknown>];

/** Stands for the test's namespace, which exists only once the tests run. */
const NAMESPACE = '<test namespace>';
let namespace = '';
function base(): Record<string, any> {
  return {
    cluster: 'demo-east',
    namespace: NAMESPACE,
    name: 'adv-01',
    owner: 'group:default/team-web',
    description: 'Adversarial base request',
    size: { instancetype: { name: 'u1.small' } },
    image: { containerDisk: { image: 'quay.io/containerdisks/fedora:41' } },
    sshPublicKey: EXAMPLE_SSH_KEY,
    labels: { app: 'web' },
  };
}

function withValue(field: string, value: unknown): Record<string, unknown> {
  const input = base();
  if (field.startsWith('disks.')) {
    input.disks = [{ name: 'data', size: '10Gi', storageClass: 'standard' }];
  }
  const keys = field.split('.');
  let target: any = input;
  for (const key of keys.slice(0, -1)) {
    target[key] ??= {};
    target = target[key];
  }
  target[keys[keys.length - 1]] = value;
  return input;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

const cases: Case[] = [];
for (const field of FIELDS) {
  for (const value of HOSTILE) {
    cases.push([`${field} = ${show(value)}`, field, withValue(field, value)]);
  }
}
const SSH_TRICKS = [
  `${EXAMPLE_SSH_KEY}\nssh-rsa AAAAB3NzaC1yc2E evil@x`,
  `${EXAMPLE_SSH_KEY}\nruncmd:\n  - reboot`,
  EXAMPLE_SSH_KEY.replace('jane@example.com', 'a: b #cloud-config'),
  EXAMPLE_SSH_KEY.replace('jane@example.com', '- [x]'),
  EXAMPLE_SSH_KEY.replace('jane@example.com', '\'"`$(id)`'),
  `  ${EXAMPLE_SSH_KEY}  \n`,
  EXAMPLE_SSH_KEY.replace('AAAAC3', 'AAAAB3'),
  'ssh-ed25519 not-base64!',
  `command="reboot" ${EXAMPLE_SSH_KEY}`,
];
for (const key of SSH_TRICKS) {
  cases.push([
    `sshPublicKey trick ${show(key)}`,
    'sshPublicKey',
    withValue('sshPublicKey', key),
  ]);
}
const DESCRIPTIONS = [
  'Line one\nkind: Secret\nmetadata:\n  name: x',
  'Ends with a colon:',
  '- looks like a list',
  '"quoted"',
  "'single'",
  '# heading',
  '**bold** _it_ `code` [l](http://x) <b>b</b> | pipe |',
  '\ttab start',
  'trailing space ',
  'yes',
  'null',
  '0x1F',
  '1e3',
  '~',
  '@at',
  '&amp;',
];
for (const text of DESCRIPTIONS) {
  cases.push([
    `description ${show(text)}`,
    'description',
    withValue('description', text),
  ]);
}
for (const cluster of ['demo-north', 'kube-system', 'prod', 'demo-east-1']) {
  cases.push([
    `unknown cluster ${cluster}`,
    'cluster',
    withValue('cluster', cluster),
  ]);
}
for (const ns of ['team-missing', 'default-2', 'kubevirt-x', 'a']) {
  cases.push([
    `namespace that does not exist: ${ns}`,
    'namespace',
    withValue('namespace', ns),
  ]);
}
const PROTO = JSON.parse(
  '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}',
);
cases.push(['__proto__ at the top', '__proto__', { ...base(), ...PROTO }]);
cases.push([
  '__proto__ in labels',
  'labels',
  withValue(
    'labels',
    JSON.parse('{"__proto__": {"polluted": true}, "app": "web"}'),
  ),
]);
cases.push([
  '__proto__ in size',
  'size',
  withValue(
    'size',
    JSON.parse(
      '{"__proto__": {"cpu": {"cores": 64}}, "instancetype": {"name": "u1.small"}}',
    ),
  ),
]);
for (const [title, field, value] of [
  ['size as a string', 'size', 'u1.small'],
  ['image as a list', 'image', ['quay.io/containerdisks/fedora:41']],
  ['disks as an object', 'disks', { name: 'data', size: '10Gi' }],
  ['labels as a list', 'labels', ['app=web']],
  ['owner as an object', 'owner', { kind: 'Group', name: 'team-web' }],
  [
    '200 disks',
    'disks',
    Array.from({ length: 200 }, (_, i) => ({ name: `d${i}`, size: '1Gi' })),
  ],
  ['a label of the portal', 'labels', { 'vmportal.io/owner': 'team-payments' }],
  ['a label with a YAML key', 'labels', { 'a: b': 'c' }],
  ['a 64 KiB description', 'description', 'x'.repeat(70_000)],
  ['a user as owner', 'owner', 'user:default/guest'],
  ['owner in another namespace', 'owner', 'group:other/team-web'],
  ['runStrategy injection', 'runStrategy', 'Always\nkind: Secret'],
  [
    'network injection',
    'networkInterfaces',
    [{ name: 'default', type: 'multus', networkName: 'a\nb' }],
  ],
  ['dataVolumes unknown', 'dataVolumes', 'inline'],
  ['memory as a number', 'size', { cpu: { cores: 2 }, memory: 4294967296 }],
  ['cores fractional', 'size', { cpu: { cores: 1.5 }, memory: '2Gi' }],
  ['cores huge', 'size', { cpu: { cores: 1e9 }, memory: '2Gi' }],
  ['memory huge', 'size', { cpu: { cores: 1 }, memory: '1Ei' }],
  [
    'an instancetype the cluster lacks',
    'size',
    { instancetype: { name: 'u9.huge' } },
  ],
  [
    'a namespaced instancetype that is not there',
    'size',
    { instancetype: { name: 'u1.small', kind: 'VirtualMachineInstancetype' } },
  ],
  [
    'registry URL injection',
    'image',
    {
      registry: { url: 'docker://x\nkind: Secret' },
      size: '10Gi',
      storageClass: 'standard',
    },
  ],
  [
    'http URL to a file',
    'image',
    {
      http: { url: 'file:///etc/passwd' },
      size: '10Gi',
      storageClass: 'standard',
    },
  ],
  [
    'dataSource in kube-system',
    'image',
    {
      dataSource: { name: 'fedora', namespace: 'kube-system' },
      size: '10Gi',
      storageClass: 'standard',
    },
  ],
] as Array<[string, string, unknown]>) {
  cases.push([title, field, withValue(field, value)]);
}

const planAction = () =>
  createPlanVirtualMachineAction({
    clusters: testClustersService(),
    admission: testAdmission(),
    auditor: testAuditor(),
  });
const renderAction = () => {
  const config = testConfig();
  return createRenderVirtualMachineAction({
    clusters: testClustersService(config),
    admission: testAdmission({ config }),
    gitops: readKubevirtGitopsConfig(config),
    auditor: testAuditor(),
  });
};

// Control (but newline), bidirectional and line-separator characters.
/* eslint-disable no-control-regex -- finding them is the point */
const UNSAFE_IN_MESSAGE =
  /[\u0000-\u0009\u000b-\u001f\u007f\u202a-\u202e\u2028\u2029]/;
/* eslint-enable no-control-regex */

function topField(field: string): string {
  return field.split(/[.[]/)[0];
}

function allKeys(value: unknown, keys: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach(v => allKeys(v, keys));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      keys.push(key);
      allKeys(v, keys);
    }
  }
  return keys;
}

function walk(root: string, dir = root, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(root, full, out);
    else out.push(path.relative(root, full));
  }
  return out;
}

/** What is wrong with a refusal: it must be a clear InputError and write nothing. */
function refusalViolations(
  error: unknown,
  field: string,
  workspacePath: string,
): string[] {
  const violations: string[] = [];
  if (!(error instanceof InputError)) {
    return [`not an InputError: ${String(error)}`];
  }
  const message = error.message;
  if (message.length < 20 || message.length > 3000) {
    violations.push(`message of ${message.length} characters`);
  }
  if (UNSAFE_IN_MESSAGE.test(message)) {
    violations.push(`invisible characters in: ${JSON.stringify(message)}`);
  }
  // Names the field, or the request as a whole when it is too big to read.
  const fields =
    error instanceof VirtualMachineRequestError
      ? error.problems.map(p => topField(p.field))
      : undefined;
  if (fields && !fields.some(f => f === topField(field) || f === 'request')) {
    violations.push(`names ${fields.join(', ')}, not ${topField(field)}`);
  }
  const written = walk(workspacePath);
  if (written.length > 0) violations.push(`wrote ${written.join(', ')}`);
  return violations;
}

/**
 * What is wrong with a rendered request: the files must be exactly the request's
 * objects, one YAML document each, inside the workspace, checked by the cluster; the
 * hostile text only ever a whole value; the PR text escaped.
 */
function renderViolations(
  field: string,
  input: Record<string, unknown>,
  workspacePath: string,
  outputs: Record<string, unknown>,
  planned: Record<string, unknown>,
): string[] {
  const violations: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) violations.push(what);
  };
  check(outputs.validated === true, 'not checked by the cluster');
  const files = outputs.files as string[];
  const targetPath = (input.targetPath as string | undefined) ?? '.';
  const written = walk(workspacePath).sort();
  const expectedPaths = files
    .map(f => path.normalize(path.join(targetPath, f)))
    .sort();
  check(
    JSON.stringify(written) === JSON.stringify(expectedPaths),
    `wrote ${written.join(', ')} for ${expectedPaths.join(', ')}`,
  );
  const request = validateVirtualMachineRequest(
    requestPartOf(input, RENDER_ONLY),
  );
  const expected = renderVirtualMachine(request, {
    pathTemplate: input.pathTemplate as string | undefined,
    dataVolumes: input.dataVolumes as 'templates' | undefined,
    // The mock context's task: the request's id, in the VM's request-id annotation.
    requestId: 'mock-task-id',
  });
  const value = field
    .split('.')
    .reduce((v: any, k) => v?.[k], input as unknown);
  const objects: Record<string, any> = {};
  for (const file of files) {
    const text = fs.readFileSync(
      path.join(workspacePath, targetPath, file),
      'utf8',
    );
    check(text === expected.files[file], `${file} is not the request's`);
    const documents = yaml.parseAllDocuments(text);
    check(documents.length === 1, `${file} has ${documents.length} documents`);
    check(
      (documents[0] as yaml.Document).errors.length === 0,
      `${file} does not parse`,
    );
    const object = documents[0].toJS();
    objects[path.posix.basename(file)] = object;
    check(
      ['VirtualMachine', 'DataVolume', 'Kustomization'].includes(object.kind),
      `${file} is a ${object.kind}`,
    );
    check(
      object.kind === 'Kustomization' ||
        (object.metadata.namespace === namespace &&
          JSON.stringify(Object.keys(object).sort()) ===
            '["apiVersion","kind","metadata","spec"]'),
      `${file} has other top-level fields or namespace`,
    );
    // A hostile string is never a key (label keys are keys by design).
    check(
      !(
        typeof value === 'string' &&
        value.length > 0 &&
        field !== 'labels' &&
        allKeys(object).includes(value)
      ),
      `${file} has the input as a key`,
    );
  }
  const vm = objects['virtualmachine.yaml'];
  check(vm?.metadata.name === request.name, 'the VM is not named as asked');
  check(
    vm?.metadata.annotations?.['vmportal.io/description'] ===
      request.description,
    'the description annotation differs',
  );
  const userData = vm?.spec.template.spec.volumes.find(
    (v: any) => v.name === 'cloudinitdisk',
  )?.cloudInitNoCloud.userData;
  check(
    typeof userData === 'string' && userData.startsWith('#cloud-config\n'),
    'no cloud-config',
  );
  check(
    JSON.stringify(yaml.parse(userData ?? '')) ===
      JSON.stringify({
        ...(request.sshPublicKey && {
          ssh_authorized_keys: [request.sshPublicKey],
        }),
        ssh_pwauth: false,
      }),
    `cloud-init user data is not just the key: ${userData}`,
  );
  // The pull request body: the purpose is one line of escaped text.
  const purpose = (planned.summaryMarkdown as string)
    .split('\n')
    .filter(line => line.startsWith('- **Purpose:** '));
  check(
    purpose.length === (request.description ? 1 : 0),
    `${purpose.length} purpose lines`,
  );
  check(
    !purpose.some(line =>
      /(^|[^\\])[<>[\]|`*_#&]/.test(line.slice('- **Purpose:** '.length)),
    ),
    `unescaped Markdown in ${purpose[0]}`,
  );
  return violations;
}

describe('adversarial input through kubevirt:vm:plan and kubevirt:vm:render', () => {
  const plan = planAction();
  const render = renderAction();
  const outcomes = { refused: 0, rendered: 0 };

  beforeAll(async () => {
    namespace = await createQuotaNamespace('adversarial');
    // The cases were built before the namespace existed.
    for (const [, , input] of cases) {
      if (input.namespace === NAMESPACE) input.namespace = namespace;
    }
  }, 120_000);

  afterAll(async () => {
    if (namespace) await deleteTestNamespace(testClusters()[0], namespace);
  });

  it('has at least 200 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
  });

  it.each(cases)(
    '%s',
    async (_title, field, input) => {
      const planInput = Object.fromEntries(
        Object.entries(input).filter(([k]) => !RENDER_ONLY.includes(k)),
      );
      const workspacePath = fs.mkdtempSync(path.join(os.tmpdir(), 'adv-'));
      let error: unknown;
      let outputs: Record<string, unknown> = {};
      let planned: Record<string, unknown> = {};
      try {
        ({ outputs: planned } = await runAction(plan, planInput, {
          workspacePath,
        }));
        ({ outputs } = await runAction(render, input, { workspacePath }));
      } catch (e) {
        error = e;
      }
      expect(({} as any).polluted).toBeUndefined();
      if (error) outcomes.refused++;
      else outcomes.rendered++;
      const violations = error
        ? refusalViolations(error, field, workspacePath)
        : renderViolations(field, input, workspacePath, outputs, planned);
      expect(violations).toEqual([]);
    },
    60_000,
  );

  it('rendered some of them (valid text in free fields) and refused the rest', () => {
    expect(outcomes.rendered).toBeGreaterThan(40);
    expect(outcomes.refused).toBeGreaterThan(500);
    expect(outcomes.rendered + outcomes.refused).toBe(cases.length);
  });
});
