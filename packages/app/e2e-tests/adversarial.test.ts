// Issue 13's adversarial suite against the running demo (real backend, catalog,
// permission framework, Kubernetes plugin and its proxy, apiserver RBAC, git server):
// every way around the owner check that was tried, as every identity the demo has.
// Each probe asserts the refusal, its message, its audit line in the backend's log and
// that nothing changed on the clusters, in the catalog or in git. The results go to
// E2E_OUTPUT_DIR/probes.md; docs/security.md's "Probes" table is copied from there.
//
// "Another user": the demo signs in only as the guest (user:default/guest, team-web).
// bob (team-payments), carol and alice have no sign-in path, and adding one would be
// the kind of hole this suite looks for. So the guest on another team's VM is that
// other user, and a forged token claiming to be bob is probed like no token at all.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  env,
  FEDORA_CONTAINER_DISK,
  git,
  gitApi,
  guestToken,
  jsonOrThrow,
  portalUrls,
  TaskEvent,
  waitFor,
} from './portal';

const ANNOTATION = {
  cluster: 'kubevirt.vmportal.io/cluster',
  namespace: 'kubevirt.vmportal.io/namespace',
  name: 'kubevirt.vmportal.io/name',
  uid: 'kubevirt.vmportal.io/uid',
};
const LOCATION_ANNOTATION = 'backstage.io/managed-by-location';
const GUEST = 'user:default/guest';
/** The subject of app-config.api-token.yaml's static token, as Backstage names it. */
const SCRIPTS = 'vmportal-scripts';
const TEMPLATE_REF = 'template:default/request-virtual-machine';
const REPO = { owner: 'vmportal-demo', repo: 'vm-gitops' };
const suffix = randomBytes(3).toString('hex');

// The seeded VMs the probes aim at (packages/kube-testenv/src/seed/seedDemo.ts).
const VM = {
  /** team-payments' running VM: the other team's. */
  payments: 'demo-east/team-payments/payments-api-1',
  /** team-payments' halted VM. */
  paymentsBatch: 'demo-east/team-payments/payments-batch',
  /** In team-web's namespace, but owned by team-data (the VM's own owner label). */
  reportingGateway: 'demo-east/team-web/reporting-gateway',
  /** The guest's team's running VM. */
  web: 'demo-east/team-web/web-frontend-2',
  /** The guest's team's halted VM: the positive control starts and stops it. */
  canary: 'demo-west/team-web/web-canary',
} as const;

// ---------------------------------------------------------------------------------
// Identities

/** Who calls: the demo's identities, and the cluster credential behind the proxy. */
type Caller = 'guest' | 'static' | 'none' | 'invalid' | 'forged' | 'reader';

/** An unsigned Backstage user token claiming to be bob of team-payments. */
function forgedToken(backendUrl: string): string {
  const part = (value: object) =>
    Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none', typ: 'vnd.backstage.user' })}.${part({
    iss: `${backendUrl}/api/auth`,
    sub: 'user:default/bob',
    ent: ['user:default/bob', 'group:default/team-payments'],
    aud: 'backstage',
    iat: now,
    exp: now + 3600,
  })}.`;
}

function authorization(c: Ctx, as: Caller): string | undefined {
  switch (as) {
    case 'guest':
      return `Bearer ${c.guestToken}`;
    case 'static':
      return `Bearer ${env('VMPORTAL_API_TOKEN')}`;
    case 'invalid':
      return 'Bearer not-a-backstage-token';
    case 'forged':
      return `Bearer ${forgedToken(c.backendUrl)}`;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------
// The clusters, with the admin token (to see what changed) or the reader's

interface ClusterAccess {
  name: string;
  url: string;
  token: string;
  readerToken: string;
  caData: string;
}

function clusterAccess(name: string): ClusterAccess {
  const clusters = JSON.parse(
    readFileSync(join(env('E2E_KUBE_DIR'), 'clusters.json'), 'utf8'),
  ) as ClusterAccess[];
  const found = clusters.find(c => c.name === name);
  assert.ok(found, `no cluster ${name} in E2E_KUBE_DIR/clusters.json`);
  return found;
}

function kube(
  cluster: string,
  credential: 'admin' | 'reader',
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; text: string }> {
  const access = clusterAccess(cluster);
  const token = credential === 'admin' ? access.token : access.readerToken;
  assert.ok(token, `clusters.json has no ${credential} token for ${cluster}`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = https.request(
      new URL(path, access.url),
      {
        method,
        ca: Buffer.from(access.caData, 'base64'),
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
          ...(payload !== undefined && { 'Content-Type': contentType }),
        },
      },
      response => {
        const chunks: Buffer[] = [];
        response.on('data', chunk => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

interface VirtualMachineObject {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: { runStrategy?: string; running?: boolean; template?: unknown };
  status?: { printableStatus?: string };
}

async function readVm(key: string): Promise<VirtualMachineObject> {
  const [cluster, namespace, name] = key.split('/');
  const { status, text } = await kube(
    cluster,
    'admin',
    'GET',
    `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines/${name}`,
  );
  assert.equal(status, 200, `GET VM ${key}: ${status} ${text}`);
  return JSON.parse(text) as VirtualMachineObject;
}

// ---------------------------------------------------------------------------------
// What must not change: every VM on both clusters, the catalog's VM entities and
// locations, and the GitOps repository's refs and pull requests

interface Snapshot {
  vms: Map<string, string>;
  catalog: Map<string, string>;
  git: Map<string, string>;
}

async function vmStates(): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  for (const cluster of ['demo-east', 'demo-west']) {
    const { status, text } = await kube(
      cluster,
      'admin',
      'GET',
      '/apis/kubevirt.io/v1/virtualmachines',
    );
    assert.equal(status, 200, `listing VMs on ${cluster}: ${status} ${text}`);
    for (const vm of (JSON.parse(text) as { items: VirtualMachineObject[] })
      .items) {
      const { metadata, spec, status: vmStatus } = vm;
      states.set(
        `${cluster}/${metadata.namespace}/${metadata.name}`,
        JSON.stringify({
          uid: metadata.uid,
          resourceVersion: metadata.resourceVersion,
          generation: metadata.generation,
          runStrategy: spec.runStrategy ?? `running=${spec.running}`,
          labels: metadata.labels ?? {},
          status: vmStatus?.printableStatus,
        }),
      );
    }
  }
  return states;
}

interface CatalogEntity {
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    annotations?: Record<string, string>;
  };
  spec?: { owner?: string; type?: string };
  relations?: Array<{ type: string; targetRef: string }>;
}

function entityRef(entity: CatalogEntity): string {
  return `${entity.kind.toLocaleLowerCase('en-US')}:${
    entity.metadata.namespace ?? 'default'
  }/${entity.metadata.name}`;
}

/** What a call to the backend as the guest needs. */
type AsGuest = Pick<Ctx, 'backendUrl' | 'guestToken'>;

async function backendJson<T>(
  c: AsGuest,
  path: string,
  init: RequestInit = {},
): Promise<T> {
  const response = await fetch(`${c.backendUrl}${path}`, {
    ...init,
    headers: {
      Authorization: `Bearer ${c.guestToken}`,
      ...(init.body !== undefined && { 'Content-Type': 'application/json' }),
      ...init.headers,
    },
  });
  return jsonOrThrow<T>(response, init.method ?? 'GET', path);
}

async function virtualMachineEntities(c: AsGuest): Promise<CatalogEntity[]> {
  const { items } = await backendJson<{ items: CatalogEntity[] }>(
    c,
    `/api/catalog/entities/by-query?filter=${encodeURIComponent(
      'kind=component,spec.type=virtual-machine',
    )}&limit=1000`,
  );
  return items;
}

async function catalogState(c: Ctx): Promise<Map<string, string>> {
  const state = new Map<string, string>();
  for (const entity of await virtualMachineEntities(c)) {
    const a = entity.metadata.annotations ?? {};
    state.set(
      entityRef(entity),
      JSON.stringify({
        owner: entity.spec?.owner,
        ownedBy: (entity.relations ?? [])
          .filter(r => r.type === 'ownedBy')
          .map(r => r.targetRef)
          .sort(),
        vm: `${a[ANNOTATION.cluster]}/${a[ANNOTATION.namespace]}/${
          a[ANNOTATION.name]
        }`,
        vmUid: a[ANNOTATION.uid],
        location: a[LOCATION_ANNOTATION],
      }),
    );
  }
  const locations = await backendJson<
    Array<{ data: { id: string; type: string; target: string } }>
  >(c, '/api/catalog/locations');
  for (const { data } of locations) {
    state.set(`location ${data.type}:${data.target}`, 'registered');
  }
  return state;
}

async function gitState(): Promise<Map<string, string>> {
  const state = new Map<string, string>();
  for (const line of git(
    'for-each-ref',
    '--format=%(refname) %(objectname)',
  ).split('\n')) {
    const [ref, sha] = line.trim().split(' ');
    if (ref) state.set(ref, sha);
  }
  const pulls = await gitApi<Array<{ number: number; state: string }>>(
    `/repos/${REPO.owner}/${REPO.repo}/pulls?state=all&per_page=100`,
  );
  for (const pull of pulls) state.set(`pull #${pull.number}`, pull.state);
  return state;
}

async function snapshot(c: Ctx): Promise<Snapshot> {
  const [vms, catalog, gitRefs] = await Promise.all([
    vmStates(),
    catalogState(c),
    gitState(),
  ]);
  return { vms, catalog, git: gitRefs };
}

function differences(
  what: string,
  was: Map<string, string>,
  now: Map<string, string>,
  ignore: (key: string) => boolean = () => false,
): string[] {
  const found: string[] = [];
  for (const [key, value] of was) {
    if (ignore(key)) continue;
    if (!now.has(key)) found.push(`${what}: ${key} is gone`);
    else if (now.get(key) !== value) {
      found.push(`${what}: ${key} changed from ${value} to ${now.get(key)}`);
    }
  }
  for (const key of now.keys()) {
    if (!was.has(key) && !ignore(key)) found.push(`${what}: ${key} is new`);
  }
  return found;
}

// ---------------------------------------------------------------------------------
// The backend's log: audit events and warnings

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

function logSize(): number {
  const file = process.env.E2E_BACKEND_LOG;
  return file && existsSync(file) ? statSync(file).size : 0;
}

function logSince(offset: number): string[] {
  const file = env('E2E_BACKEND_LOG');
  const size = statSync(file).size;
  if (size <= offset) return [];
  const buffer = Buffer.alloc(size - offset);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8').replace(ANSI, '').split('\n');
}

/** An audit event the probe must leave (Backstage's auditor, in the backend's log). */
interface Audit {
  plugin: string;
  eventId: string;
  /** The user entity ref or service subject the line names (actorId or createdBy). */
  actor: string;
  status: 'failed' | 'succeeded';
  severity?: 'low' | 'medium' | 'high' | 'critical';
  /** The log level the audit line itself must have (issue 13: refusals at warn). */
  level?: 'warn';
}

/** A field as the development log format (`key="v"`) or JSON (`"key":"v"`) writes it. */
function field(name: string, value: string | boolean): RegExp {
  const v =
    typeof value === 'boolean'
      ? String(value)
      : `"${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`;
  return new RegExp(`(^|[\\s{,])"?${name}"?[=:]${v}`);
}

function auditLine(line: string, audit: Audit, keys: string[]): boolean {
  const level =
    !audit.level ||
    new RegExp(`^\\S+ ${audit.plugin} ${audit.level} `).test(line) ||
    field('level', audit.level).test(line);
  return (
    level &&
    line.includes(`${audit.plugin}.${audit.eventId}`) &&
    field('isAuditEvent', true).test(line) &&
    field('eventId', audit.eventId).test(line) &&
    field('status', audit.status).test(line) &&
    (!audit.severity || field('severityLevel', audit.severity).test(line)) &&
    line.includes(`"${audit.actor}"`) &&
    keys.every(key => line.includes(key))
  );
}

/** What is missing from the log since `offset`, polling a while (the log is written asynchronously). */
async function missingAudit(
  offset: number,
  audit: Audit,
  keys: string[],
): Promise<string | undefined> {
  const describeAudit = `${audit.plugin}.${audit.eventId} ${audit.status}${
    audit.severity ? ` severity ${audit.severity}` : ''
  }${audit.level ? ` at ${audit.level}` : ''} naming ${audit.actor}${
    keys.length ? ` and ${keys.join(', ')}` : ''
  }`;
  if (!process.env.E2E_BACKEND_LOG) {
    return `E2E_BACKEND_LOG is not set, so the audit line (${describeAudit}) cannot be checked`;
  }
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lines = logSince(offset);
    if (lines.some(line => auditLine(line, audit, keys))) return undefined;
    if (Date.now() > deadline) {
      const seen = lines
        .filter(line => line.includes(`${audit.plugin}.${audit.eventId}`))
        .map(line => line.slice(0, 400));
      return `no audit line ${describeAudit}${
        seen.length
          ? ` (${audit.plugin}.${audit.eventId} lines seen: ${seen.join(
              ' | ',
            )})`
          : ` (no ${audit.plugin}.${audit.eventId} line at all)`
      }`;
    }
    await new Promise(resolve => setTimeout(resolve, 500));
  }
}

// ---------------------------------------------------------------------------------
// Calls: what a probe sends, and what came back

interface Outcome {
  /** The HTTP status, or for a scaffolder task `task <status> at <step>`. */
  status: number | string;
  /** The error message (or the task's log); the whole body when there is no error. */
  message: string;
  /** The whole answer, for what must not be in it. */
  body: string;
  /** More text the audit line must hold (a task's id). */
  auditKeys?: string[];
}

interface Call {
  describe(c: Ctx): string;
  send(c: Ctx, as: Caller): Promise<Outcome>;
}

/** The error message of a Backstage or Kubernetes error body, else the body. */
function messageOf(text: string): string {
  try {
    const body = JSON.parse(text) as {
      error?: { name?: string; message?: string };
      message?: string;
      errors?: Array<{ message?: string }>;
    };
    if (body.error?.message !== undefined) {
      return `${body.error.name ?? 'Error'}: ${body.error.message}`;
    }
    if (typeof body.message === 'string') return body.message;
    if (Array.isArray(body.errors)) {
      return body.errors.map(e => e.message).join('; ');
    }
  } catch {
    // not JSON
  }
  return text;
}

async function httpOutcome(response: Response): Promise<Outcome> {
  const body = await response.text();
  return { status: response.status, message: messageOf(body), body };
}

function backend(
  method: string,
  path: (c: Ctx) => string,
  body?: (c: Ctx) => unknown,
  headers: Record<string, string> = {},
): Call {
  return {
    describe: c =>
      `${method} ${path(c)}${
        body ? ` ${JSON.stringify(body(c)).slice(0, 160)}` : ''
      }`,
    async send(c, as) {
      const auth = authorization(c, as);
      const payload = body?.(c);
      const response = await fetch(`${c.backendUrl}${path(c)}`, {
        method,
        headers: {
          ...(auth && { Authorization: auth }),
          ...(payload !== undefined && {
            'Content-Type': headers['Content-Type'] ?? 'application/json',
          }),
          ...headers,
        },
        body: payload === undefined ? undefined : JSON.stringify(payload),
      });
      return httpOutcome(response);
    },
  };
}

/** Through the Kubernetes plugin's proxy, to a cluster's API path. */
function proxy(
  cluster: string,
  method: string,
  path: string,
  body?: unknown,
  contentType?: string,
): Call {
  const call = backend(
    method,
    () => `/api/kubernetes/proxy${path}`,
    body === undefined ? undefined : () => body,
    {
      'Backstage-Kubernetes-Cluster': cluster,
      ...(contentType && { 'Content-Type': contentType }),
    },
  );
  return {
    describe: c =>
      `${call.describe(c)} (Backstage-Kubernetes-Cluster: ${cluster})`,
    send: call.send,
  };
}

/** Straight to the cluster's apiserver with the reader credential (the proxy's). */
function apiserver(
  cluster: string,
  method: string,
  path: string,
  body?: unknown,
  contentType?: string,
): Call {
  return {
    describe: () =>
      `${method} ${cluster} apiserver ${path}${
        body === undefined ? '' : ` ${JSON.stringify(body).slice(0, 120)}`
      }`,
    async send(_c, as) {
      assert.equal(as, 'reader', 'apiserver probes run as the reader');
      const { status, text } = await kube(
        cluster,
        'reader',
        method,
        path,
        body,
        contentType,
      );
      return { status, message: messageOf(text), body: text };
    },
  };
}

/** The request template as a scaffolder task (POST /v2/tasks), run to its end. */
function task(values: Record<string, unknown>): Call {
  return {
    describe: () =>
      `POST /api/scaffolder/v2/tasks ${TEMPLATE_REF} ${JSON.stringify(values)}`,
    async send(c, as) {
      const auth = authorization(c, as);
      const created = await fetch(`${c.backendUrl}/api/scaffolder/v2/tasks`, {
        method: 'POST',
        headers: {
          ...(auth && { Authorization: auth }),
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({ templateRef: TEMPLATE_REF, values }),
      });
      if (created.status !== 201) return httpOutcome(created);
      const { id } = (await created.json()) as { id: string };
      const headers = auth ? { Authorization: auth } : undefined;
      const status = await waitFor(`task ${id} to end`, 180_000, async () => {
        const response = await fetch(
          `${c.backendUrl}/api/scaffolder/v2/tasks/${id}`,
          { headers },
        );
        const t = (await response.json()) as { status: string };
        return ['completed', 'failed', 'cancelled'].includes(t.status)
          ? t.status
          : undefined;
      });
      const events = (await (
        await fetch(`${c.backendUrl}/api/scaffolder/v2/tasks/${id}/events`, {
          headers,
        })
      ).json()) as TaskEvent[];
      const failedStep = events.find(
        e => e.body.stepId && e.body.status === 'failed',
      )?.body.stepId;
      const log = events
        .map(e =>
          [e.body.message, e.body.error?.message].filter(Boolean).join('\n'),
        )
        .join('\n');
      return {
        status: `task ${status}${failedStep ? ` at ${failedStep}` : ''}`,
        message: log,
        body: log,
        auditKeys: [id],
      };
    },
  };
}

/**
 * A dry run of the request template as the catalog holds it (POST /v2/dry-run, which
 * takes any template), optionally with the OS image replaced in both of its steps.
 */
function dryRun(
  values: Record<string, unknown>,
  image?: Record<string, unknown>,
): Call {
  return {
    describe: () =>
      `POST /api/scaffolder/v2/dry-run (the request template${
        image ? ` with image ${JSON.stringify(image)}` : ''
      }) ${JSON.stringify(values)}`,
    async send(c, as) {
      const template = structuredClone(c.template);
      if (image) {
        for (const step of template.spec.steps) {
          if (step.action.startsWith('kubevirt:vm:') && step.input) {
            step.input.image = image;
          }
        }
      }
      const auth = authorization(c, as);
      const response = await fetch(
        `${c.backendUrl}/api/scaffolder/v2/dry-run`,
        {
          method: 'POST',
          headers: {
            ...(auth && { Authorization: auth }),
            'Content-Type': 'application/json',
          },
          body: JSON.stringify({ template, values, directoryContents: [] }),
        },
      );
      const outcome = await httpOutcome(response);
      if (response.status === 200) {
        const { log } = JSON.parse(outcome.body) as {
          log: Array<{ body: { message?: string } }>;
        };
        outcome.message = log.map(l => l.body.message ?? '').join('\n');
      }
      return outcome;
    },
  };
}

/**
 * The latent hole of issue 13: anyone who may register a catalog location points a
 * Component they own (owner team-web) at another team's VM by copying its
 * `kubevirt.vmportal.io/*` annotations (and the provider's location annotation), then
 * powers it. The file lives on a branch of the demo git server that `before` makes
 * (the one repository the portal's GitHub integration reads). The location is
 * removed again before the probe ends.
 */
function registerCopyAndPower(): Call {
  const name = `e2e-copy-${suffix}`;
  return {
    describe: c =>
      `POST /api/catalog/locations {"type":"url","target":"${c.attackerFileUrl}"} (Component ${name}, owner team-web, ${VM.payments}'s kubevirt.vmportal.io/* and location annotations), then POST /api/kubevirt/v1/entities/default/component/${name}/power {"action":"stop"}`,
    async send(c, as) {
      const auth = authorization(c, as);
      const headers = {
        ...(auth && { Authorization: auth }),
        'Content-Type': 'application/json',
      };
      const since = logSize();
      const registered = await fetch(`${c.backendUrl}/api/catalog/locations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ type: 'url', target: c.attackerFileUrl }),
      });
      if (registered.status !== 201) return httpOutcome(registered);
      const { location } = (await registered.json()) as {
        location: { id: string };
      };
      try {
        // The copy appears, or the catalog logs why it could not make it (a Location
        // whose processing fails is never stitched, so only its warning tells).
        const made = await waitFor(
          `the catalog to make ${name} from the registered file, or say why not`,
          90_000,
          async () => {
            const copy = await fetch(
              `${c.backendUrl}/api/catalog/entities/by-name/component/default/${name}`,
              { headers },
            );
            if (copy.status === 200) return { copied: true as const };
            const warning = logSince(since).find(
              line =>
                /^\S+ catalog warn /.test(line) &&
                line.includes(`url:${c.attackerFileUrl}`),
            );
            return warning
              ? { copied: false as const, why: warning.slice(0, 400) }
              : undefined;
          },
        );
        if (!made.copied) {
          return {
            status: 'copy not in the catalog',
            message: `the location was registered (201), but the catalog made no entity from it: ${made.why}`,
            body: made.why,
          };
        }
        const powered = await fetch(
          `${c.backendUrl}/api/kubevirt/v1/entities/default/component/${name}/power`,
          {
            method: 'POST',
            headers,
            body: JSON.stringify({ action: 'stop' }),
          },
        );
        return await httpOutcome(powered);
      } finally {
        await fetch(`${c.backendUrl}/api/catalog/locations/${location.id}`, {
          method: 'DELETE',
          headers,
        });
        await waitFor(`${name} to leave the catalog`, 60_000, async () => {
          const response = await fetch(
            `${c.backendUrl}/api/catalog/entities/by-name/component/default/${name}`,
            { headers },
          );
          return response.status === 404 ? true : undefined;
        });
      }
    },
  };
}

// ---------------------------------------------------------------------------------
// The probes

interface TemplateStep {
  id?: string;
  action: string;
  input?: Record<string, unknown>;
}

interface TemplateEntity {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; title?: string };
  spec: { steps: TemplateStep[]; [key: string]: unknown };
}

/** What the probes need to know about the running demo. */
interface Ctx {
  backendUrl: string;
  guestToken: string;
  /** `namespace/kind/name` of the provider's entity for a VM key of {@link VM}. */
  entityPath(vmKey: string): string;
  /** The live VM's cloud-init user data, for what must not be shown. */
  userData(vmKey: string): string;
  template: TemplateEntity;
  attackerFileUrl: string;
}

interface Probe {
  area: string;
  identity: string;
  as: Caller;
  call: Call;
  expect: {
    status: number | string;
    message: RegExp | ((c: Ctx) => RegExp);
    /** Text that must not be in the answer. */
    absent?: (c: Ctx) => string[];
  };
  /** The audit line, or why there is none to expect. */
  audit: Audit | { none: string };
  /** A positive control's one intended change: this VM reaches this status. */
  changes?: { vm: string; printableStatus: string };
}

const power = (vm: string, action: string, path?: (c: Ctx) => string) =>
  backend(
    'POST',
    c => `/api/kubevirt/v1/entities/${path ? path(c) : c.entityPath(vm)}/power`,
    () => ({ action }),
  );

const changePlan = (vm: string, change: Record<string, unknown>) =>
  backend(
    'POST',
    c => `/api/kubevirt/v1/entities/${c.entityPath(vm)}/changes/plan`,
    () => change,
  );

/** A VM operation's audit of a refusal (principal, provenance or permission). */
const refusedOperation = (eventId: string, actor: string): Audit => ({
  plugin: 'kubevirt',
  eventId,
  actor,
  status: 'failed',
  severity: 'high',
  level: 'warn',
});

/** The change-plan route's audit of a refusal. */
const refusedChange = (actor: string): Audit =>
  refusedOperation('vm-change-plan', actor);

/** A route of one of the entity's VM operations (snapshots, migration, console). */
const vmRoute = (method: string, vm: string, rest: string) =>
  backend(method, c => `/api/kubevirt/v1/entities/${c.entityPath(vm)}/${rest}`);

/**
 * The console's WebSocket upgrade as the VM page sends it: subprotocols
 * `vmportal.console.v1` and the caller's token in base64url. Resolves with 101 when
 * the backend upgraded (the socket is closed at once), else with the refusal's status
 * and body.
 */
function consoleUpgrade(vm: string, type: 'serial' | 'vnc'): Call {
  const path = (c: Ctx) =>
    `/api/kubevirt/v1/entities/${c.entityPath(vm)}/console/${type}`;
  return {
    describe: c => `WebSocket upgrade of GET ${path(c)}`,
    send: (c, as) =>
      new Promise<Outcome>((resolve, reject) => {
        const token = authorization(c, as)?.replace(/^Bearer /, '');
        const url = new URL(`${c.backendUrl}${path(c)}`);
        const protocols = [
          'vmportal.console.v1',
          ...(token
            ? [`vmportal.token.${Buffer.from(token).toString('base64url')}`]
            : []),
        ];
        const request = (url.protocol === 'https:' ? https : http).request(
          url,
          {
            headers: {
              Connection: 'Upgrade',
              Upgrade: 'websocket',
              'Sec-WebSocket-Version': '13',
              'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
              'Sec-WebSocket-Protocol': protocols.join(', '),
            },
          },
        );
        request.on('upgrade', (response, socket) => {
          socket.destroy();
          resolve({
            status: response.statusCode ?? 101,
            message: '',
            body: '',
          });
        });
        request.on('response', response => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', chunk => {
            body += chunk;
          });
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              message: messageOf(body),
              body,
            }),
          );
        });
        request.on('error', reject);
        request.end();
      }),
  };
}

const audited = (
  plugin: string,
  eventId: string,
  actor: string,
  status: Audit['status'] = 'failed',
): Audit => ({ plugin, eventId, actor, status });

const refusedPower = (actor: string): Audit => ({
  plugin: 'kubevirt',
  eventId: 'vm-power-action',
  actor,
  status: 'failed',
  severity: 'high',
  level: 'warn',
});

const NO_AUDIT_401 = {
  none: 'refused by the backend framework before any plugin code runs (no actor to name)',
};

/** The static token reaches only the plugins its access restrictions name. */
const RESTRICTED_TOKEN =
  /This token's access is restricted to plugin\(s\) 'catalog', 'kubevirt'/;

const NO_AUDIT_RESTRICTED = {
  none: "refused by the backend framework (the token's access restrictions) before any plugin code runs",
};

const request = (
  namespace: string,
  owner: string,
  name = `e2e-probe-${suffix}`,
): Record<string, unknown> => ({
  cluster: 'demo-east',
  namespace,
  name,
  owner,
  instancetype: 'u1.small',
  os: FEDORA_CONTAINER_DISK,
  dataDiskSize: 0,
});

const taskRefused = (actor: string) => audited('scaffolder', 'task', actor);

/** The request actions' own audit of a refused request (dry runs included). */
const requestRefused = (actor: string): Audit => ({
  plugin: 'scaffolder',
  eventId: 'vm-request',
  actor,
  status: 'failed',
  severity: 'high',
  level: 'warn',
});

const NEW_VM = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: {
    name: `e2e-probe-${suffix}`,
    namespace: 'team-payments',
    labels: { 'vmportal.io/owner': 'team-web' },
  },
  spec: {
    runStrategy: 'Always',
    template: {
      spec: {
        domain: { devices: {}, memory: { guest: '1Gi' } },
      },
    },
  },
};

/** The entity ref of a demo VM's entity, as the inventory's rows name it. */
const inventoryRef = (c: Ctx, vm: string) => {
  const [namespace, kind, name] = c.entityPath(vm).split('/');
  return `${kind}:${namespace}/${name}`;
};

const vmPath = (vm: string) => {
  const [, namespace, name] = vm.split('/');
  return `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines/${name}`;
};
const stopPath = (vm: string) => {
  const [, namespace, name] = vm.split('/');
  return `/apis/subresources.kubevirt.io/v1/namespaces/${namespace}/virtualmachines/${name}/stop`;
};
const OWNER_PATCH = {
  metadata: { labels: { 'vmportal.io/owner': 'team-web' } },
};
const MERGE_PATCH = 'application/merge-patch+json';
const forbiddenForReader = (verb: string, resource: string) =>
  new RegExp(
    `forbidden: User "system:serviceaccount:vmportal-system:vmportal-reader" cannot ${verb} resource "${resource.replace(
      '/',
      '\\/',
    )}"`,
  );

/** What the view shows instead of the user data: its size. */
const redacted = (userData: string) =>
  new RegExp(`redacted, ${Buffer.byteLength(userData, 'utf8')} bytes`);

/** The user data's lines, each of which must not reach the page (JSON or YAML). */
const secretLines = (userData: string) =>
  userData
    .split('\n')
    .map(line => line.trim())
    .filter(line => line.length >= 12);

const probes: Probe[] = [
  // --- The VM page's power route -------------------------------------------------
  {
    area: 'power',
    identity: 'guest (non-owner)',
    as: 'guest',
    call: power(VM.payments, 'stop'),
    expect: {
      status: 403,
      message:
        /Only members of group:default\/team-payments can stop component:default\//,
    },
    audit: refusedPower(GUEST),
  },
  {
    area: 'power',
    identity: 'guest (non-owner; VM in own team namespace, owned by team-data)',
    as: 'guest',
    call: power(VM.reportingGateway, 'restart'),
    expect: {
      status: 403,
      message:
        /Only members of group:default\/team-data can restart component:default\//,
    },
    audit: refusedPower(GUEST),
  },
  {
    area: 'power',
    identity: 'guest (non-owner)',
    as: 'guest',
    call: power(VM.payments, 'stop', c =>
      c
        .entityPath(VM.payments)
        .toUpperCase()
        .replace('/COMPONENT/', '/Component/'),
    ),
    expect: {
      status: 403,
      message: /Only members of group:default\/team-payments can stop/,
    },
    audit: refusedPower(GUEST),
  },
  {
    area: 'power',
    identity: 'guest (non-owner)',
    as: 'guest',
    call: power(
      VM.payments,
      'stop',
      c =>
        `default/component/..%2f..%2f${encodeURIComponent(
          c.entityPath(VM.payments),
        )}`,
    ),
    expect: { status: 404, message: /was not found in the catalog/ },
    audit: audited('kubevirt', 'vm-power-action', GUEST, 'failed'),
  },
  {
    area: 'power',
    identity: 'guest (owner of the entity, not a VM)',
    as: 'guest',
    call: power(VM.payments, 'stop', () => 'default/group/team-web'),
    expect: {
      status: 404,
      message:
        /Group default\/team-web has no kubevirt\.vmportal\.io\/cluster annotation/,
    },
    audit: audited('kubevirt', 'vm-power-action', GUEST, 'failed'),
  },
  {
    area: 'power',
    identity: 'guest (owner of a copied entity)',
    as: 'guest',
    call: registerCopyAndPower(),
    expect: {
      status: 403,
      message: /is not an entity of the KubeVirt catalog provider/,
    },
    audit: refusedPower(GUEST),
  },
  {
    area: 'power',
    identity: 'static token (service principal)',
    as: 'static',
    call: power(VM.paymentsBatch, 'start'),
    expect: {
      status: 403,
      message:
        /Service principal 'vmportal-scripts' may not change virtual machines; a platform admin can allow it by adding 'vmportal-scripts' to kubevirt\.permissions\.servicePrincipalsAllowedToAct/,
    },
    audit: refusedPower(SCRIPTS),
  },
  {
    area: 'power',
    identity: 'static token (service principal)',
    as: 'static',
    call: power(VM.web, 'stop'),
    expect: {
      status: 403,
      message:
        /Service principal 'vmportal-scripts' may not change virtual machines; a platform admin can allow it by adding 'vmportal-scripts' to kubevirt\.permissions\.servicePrincipalsAllowedToAct/,
    },
    audit: refusedPower(SCRIPTS),
  },
  {
    area: 'power',
    identity: 'unauthenticated',
    as: 'none',
    call: power(VM.payments, 'stop'),
    expect: { status: 401, message: /Missing credentials/ },
    audit: NO_AUDIT_401,
  },
  {
    area: 'power',
    identity: 'another user (forged unsigned token for user:default/bob)',
    as: 'forged',
    call: power(VM.payments, 'stop'),
    expect: { status: 401, message: /AuthenticationError/ },
    audit: NO_AUDIT_401,
  },
  {
    area: 'power',
    identity: 'invalid token',
    as: 'invalid',
    call: power(VM.payments, 'stop'),
    expect: { status: 401, message: /AuthenticationError/ },
    audit: NO_AUDIT_401,
  },

  // --- Day-2 changes: the plan the change templates ask for -----------------------
  {
    area: 'change plan',
    identity: 'guest (non-owner)',
    as: 'guest',
    call: changePlan(VM.payments, { kind: 'decommission', confirm: 'x' }),
    expect: {
      status: 403,
      message:
        /Only members of group:default\/team-payments can ask for changes to component:default\/.* \(kubevirt\.vm\.decommission\)/,
    },
    audit: refusedChange(GUEST),
  },
  {
    area: 'change plan',
    identity: 'guest (non-owner; VM in own team namespace, owned by team-data)',
    as: 'guest',
    call: changePlan(VM.reportingGateway, {
      kind: 'resize',
      instancetype: 'u1.medium',
    }),
    expect: {
      status: 403,
      message:
        /Only members of group:default\/team-data can ask for changes to .* \(kubevirt\.vm\.change\)/,
    },
    audit: refusedChange(GUEST),
  },
  {
    area: 'change plan',
    identity: 'static token (service principal)',
    as: 'static',
    call: changePlan(VM.web, { kind: 'resize', instancetype: 'u1.medium' }),
    expect: {
      status: 403,
      message:
        /Service principal 'vmportal-scripts' may not change virtual machines/,
    },
    audit: refusedChange(SCRIPTS),
  },
  {
    area: 'change plan',
    identity: 'unauthenticated',
    as: 'none',
    call: changePlan(VM.web, { kind: 'adopt' }),
    expect: { status: 401, message: /Missing credentials/ },
    audit: NO_AUDIT_401,
  },

  // --- Snapshots, migration and the console: owners only ------------------------
  {
    area: 'snapshots',
    identity: 'guest (non-owner)',
    as: 'guest',
    call: vmRoute('POST', VM.payments, 'snapshots'),
    expect: {
      status: 403,
      message:
        /Only members of group:default\/team-payments can take snapshots of component:default\//,
    },
    audit: refusedOperation('vm-snapshot', GUEST),
  },
  {
    area: 'snapshots',
    identity: 'static token (service principal)',
    as: 'static',
    call: vmRoute('DELETE', VM.web, 'snapshots/any-snapshot'),
    expect: {
      status: 403,
      message:
        /Service principal 'vmportal-scripts' may not change virtual machines/,
    },
    audit: refusedOperation('vm-snapshot-delete', SCRIPTS),
  },
  {
    area: 'snapshots',
    identity: 'unauthenticated',
    as: 'none',
    call: vmRoute('POST', VM.web, 'snapshots/any-snapshot/restore'),
    expect: { status: 401, message: /Missing credentials/ },
    audit: NO_AUDIT_401,
  },
  {
    area: 'migration',
    identity: 'guest (non-owner)',
    as: 'guest',
    call: vmRoute('POST', VM.payments, 'migration'),
    expect: {
      status: 403,
      message:
        /Only members of group:default\/team-payments can migrate component:default\//,
    },
    audit: refusedOperation('vm-migrate', GUEST),
  },
  {
    area: 'migration',
    identity: 'static token (service principal)',
    as: 'static',
    call: vmRoute('POST', VM.web, 'migration'),
    expect: {
      status: 403,
      message:
        /Service principal 'vmportal-scripts' may not change virtual machines/,
    },
    audit: refusedOperation('vm-migrate', SCRIPTS),
  },
  {
    area: 'console',
    identity: 'guest (non-owner)',
    as: 'guest',
    call: vmRoute('GET', VM.payments, 'console/serial'),
    expect: {
      status: 403,
      message:
        /Only members of group:default\/team-payments can open the console of component:default\//,
    },
    audit: refusedOperation('vm-console', GUEST),
  },
  {
    area: 'console',
    identity: 'guest (non-owner), WebSocket upgrade',
    as: 'guest',
    call: consoleUpgrade(VM.payments, 'vnc'),
    expect: {
      status: 403,
      message:
        /Only members of group:default\/team-payments can open the console of component:default\//,
    },
    audit: refusedOperation('vm-console', GUEST),
  },
  {
    area: 'console',
    identity: 'static token (service principal), WebSocket upgrade',
    as: 'static',
    call: consoleUpgrade(VM.web, 'serial'),
    expect: {
      status: 403,
      message:
        /Service principal 'vmportal-scripts' may not change virtual machines/,
    },
    audit: refusedOperation('vm-console', SCRIPTS),
  },
  {
    area: 'console',
    identity: 'unauthenticated, WebSocket upgrade',
    as: 'none',
    call: consoleUpgrade(VM.web, 'serial'),
    expect: { status: 401, message: /Open the console with the subprotocols/ },
    audit: {
      none: 'refused before any VM is looked up: there are no credentials to name',
    },
  },

  // --- The VM page's view: cloud-init redacted for every reader -------------------
  {
    area: 'vm view',
    identity: 'guest (non-owner)',
    as: 'guest',
    call: backend(
      'GET',
      c => `/api/kubevirt/v1/entities/${c.entityPath(VM.payments)}/vm`,
    ),
    expect: {
      status: 200,
      message: c => redacted(c.userData(VM.payments)),
      absent: c => secretLines(c.userData(VM.payments)),
    },
    audit: { none: 'a read, not a change: not audited' },
  },
  {
    area: 'vm view',
    identity: 'guest (owner)',
    as: 'guest',
    call: backend(
      'GET',
      c => `/api/kubevirt/v1/entities/${c.entityPath(VM.web)}/vm`,
    ),
    expect: {
      status: 200,
      message: c => redacted(c.userData(VM.web)),
      absent: c => secretLines(c.userData(VM.web)),
    },
    audit: { none: 'a read, not a change: not audited' },
  },
  {
    area: 'vm view',
    identity:
      'static token (service principal; kubevirt.vm.read by its access restrictions)',
    as: 'static',
    call: backend(
      'GET',
      c => `/api/kubevirt/v1/entities/${c.entityPath(VM.payments)}/vm`,
    ),
    expect: {
      status: 200,
      message: c => redacted(c.userData(VM.payments)),
      absent: c => secretLines(c.userData(VM.payments)),
    },
    audit: { none: 'a read, not a change: not audited' },
  },

  // --- The VM inventory's bulk reads ----------------------------------------------
  {
    area: 'inventory',
    identity:
      'static token (service principal; kubevirt.vm.read by its access restrictions)',
    as: 'static',
    call: backend(
      'POST',
      () => '/api/kubevirt/v1/inventory/states',
      c => ({ entityRefs: [inventoryRef(c, VM.payments)] }),
    ),
    expect: {
      status: 403,
      message:
        /Service principal 'vmportal-scripts' may not read the VM inventory in bulk; a platform admin can allow it by adding 'vmportal-scripts' to kubevirt\.permissions\.servicePrincipalsAllowedToReadInventory/,
    },
    audit: { none: 'a read, not a change: not audited' },
  },
  {
    area: 'inventory',
    identity: 'static token (service principal)',
    as: 'static',
    call: backend('GET', () => '/api/kubevirt/v1/inventory/addresses?q=10.'),
    expect: {
      status: 403,
      message: /may not read the VM inventory in bulk/,
    },
    audit: { none: 'a read, not a change: not audited' },
  },
  {
    area: 'inventory',
    identity: 'unauthenticated',
    as: 'none',
    call: backend(
      'POST',
      () => '/api/kubevirt/v1/inventory/states',
      c => ({ entityRefs: [inventoryRef(c, VM.payments)] }),
    ),
    expect: { status: 401, message: /Missing credentials/ },
    audit: NO_AUDIT_401,
  },
  {
    area: 'inventory',
    identity: 'guest (asks for 101 rows)',
    as: 'guest',
    call: backend(
      'POST',
      () => '/api/kubevirt/v1/inventory/states',
      c => ({
        entityRefs: Array.from({ length: 101 }, () =>
          inventoryRef(c, VM.payments),
        ),
      }),
    ),
    expect: {
      status: 400,
      message: /entityRefs: ask for at most 100 entity refs at a time/,
    },
    audit: { none: 'an input error, nothing read' },
  },

  // --- The Kubernetes plugin's proxy ----------------------------------------------
  {
    area: 'kubernetes proxy',
    identity: 'guest (non-owner)',
    as: 'guest',
    call: proxy('demo-east', 'PUT', stopPath(VM.payments), {}),
    expect: { status: 403, message: /NotAllowedError: Unauthorized/ },
    audit: audited('kubernetes', 'cluster-fetch', GUEST, 'failed'),
  },
  {
    area: 'kubernetes proxy',
    identity: 'guest (non-owner)',
    as: 'guest',
    call: proxy(
      'demo-east',
      'PATCH',
      vmPath(VM.payments),
      OWNER_PATCH,
      MERGE_PATCH,
    ),
    expect: { status: 403, message: /NotAllowedError: Unauthorized/ },
    audit: audited('kubernetes', 'cluster-fetch', GUEST, 'failed'),
  },
  {
    area: 'kubernetes proxy',
    identity: 'guest (non-owner)',
    as: 'guest',
    call: proxy(
      'demo-east',
      'POST',
      '/apis/kubevirt.io/v1/namespaces/team-payments/virtualmachines',
      NEW_VM,
    ),
    expect: { status: 403, message: /NotAllowedError: Unauthorized/ },
    audit: audited('kubernetes', 'cluster-fetch', GUEST, 'failed'),
  },
  {
    area: 'kubernetes proxy',
    identity: 'guest (non-owner)',
    as: 'guest',
    call: proxy('demo-east', 'GET', '/api/v1/namespaces/team-payments/secrets'),
    expect: { status: 403, message: /NotAllowedError: Unauthorized/ },
    audit: audited('kubernetes', 'cluster-fetch', GUEST, 'failed'),
  },
  {
    area: 'kubernetes proxy',
    identity: 'static token (service principal)',
    as: 'static',
    call: proxy(
      'demo-east',
      'PATCH',
      vmPath(VM.payments),
      OWNER_PATCH,
      MERGE_PATCH,
    ),
    expect: { status: 403, message: RESTRICTED_TOKEN },
    audit: NO_AUDIT_RESTRICTED,
  },
  {
    area: 'kubernetes proxy',
    identity: 'unauthenticated',
    as: 'none',
    call: proxy('demo-east', 'PUT', stopPath(VM.payments), {}),
    expect: { status: 401, message: /Missing credentials/ },
    audit: NO_AUDIT_401,
  },

  // --- The credential behind the proxy, straight at the apiserver -----------------
  {
    area: 'apiserver RBAC',
    identity: 'reader credential (the Kubernetes plugin and its proxy)',
    as: 'reader',
    call: apiserver('demo-east', 'PUT', stopPath(VM.payments), {}),
    expect: {
      status: 403,
      message: forbiddenForReader('update', 'virtualmachines/stop'),
    },
    audit: { none: 'the apiserver refuses; the portal is not involved' },
  },
  {
    area: 'apiserver RBAC',
    identity: 'reader credential (the Kubernetes plugin and its proxy)',
    as: 'reader',
    call: apiserver(
      'demo-east',
      'PATCH',
      vmPath(VM.payments),
      OWNER_PATCH,
      MERGE_PATCH,
    ),
    expect: {
      status: 403,
      message: forbiddenForReader('patch', 'virtualmachines'),
    },
    audit: { none: 'the apiserver refuses; the portal is not involved' },
  },
  {
    area: 'apiserver RBAC',
    identity: 'reader credential (the Kubernetes plugin and its proxy)',
    as: 'reader',
    call: apiserver(
      'demo-east',
      'POST',
      '/apis/kubevirt.io/v1/namespaces/team-payments/virtualmachines',
      NEW_VM,
    ),
    expect: {
      status: 403,
      message: forbiddenForReader('create', 'virtualmachines'),
    },
    audit: { none: 'the apiserver refuses; the portal is not involved' },
  },
  {
    area: 'apiserver RBAC',
    identity: 'reader credential (the Kubernetes plugin and its proxy)',
    as: 'reader',
    call: apiserver(
      'demo-east',
      'GET',
      '/api/v1/namespaces/team-payments/secrets',
    ),
    expect: { status: 403, message: forbiddenForReader('list', 'secrets') },
    audit: { none: 'the apiserver refuses; the portal is not involved' },
  },

  // --- Scaffolder tasks: the request template, run for real -----------------------
  {
    area: 'scaffolder task',
    identity: 'guest (team-web) for team-web, into team-payments',
    as: 'guest',
    call: task(request('team-payments', 'group:default/team-web')),
    expect: {
      status: 'task failed at plan',
      message:
        /namespace: 'team-payments' on cluster demo-east belongs to group:default\/team-payments, not to the owner group:default\/team-web/,
    },
    audit: taskRefused(GUEST),
  },
  {
    area: 'scaffolder task',
    identity: 'guest (non-member) for team-payments',
    as: 'guest',
    call: task(request('team-payments', 'group:default/team-payments')),
    expect: {
      status: 'task failed at plan',
      message:
        /owner: user:default\/guest is not a member of group:default\/team-payments/,
    },
    audit: taskRefused(GUEST),
  },
  {
    area: 'scaffolder task',
    identity: 'guest (team-web), into vmportal-system',
    as: 'guest',
    call: task(request('vmportal-system', 'group:default/team-web')),
    expect: {
      status: 'task failed at plan',
      message: /namespace: 'vmportal-system' is a protected namespace/,
    },
    audit: taskRefused(GUEST),
  },
  {
    area: 'scaffolder task',
    identity: 'guest (team-web), into kube-system',
    as: 'guest',
    call: task(request('kube-system', 'group:default/team-web')),
    expect: {
      status: 'task failed at plan',
      message: /namespace: is a system namespace; choose your team's namespace/,
    },
    audit: taskRefused(GUEST),
  },
  {
    area: 'scaffolder task',
    identity: 'guest (team-web), into default',
    as: 'guest',
    call: task(request('default', 'group:default/team-web')),
    expect: {
      status: 'task failed at plan',
      message: /namespace: 'default' is a protected namespace/,
    },
    audit: taskRefused(GUEST),
  },
  {
    area: 'scaffolder task',
    identity: 'guest (team-web), owner group:default/no-such-team',
    as: 'guest',
    call: task(request('team-web', 'group:default/no-such-team')),
    expect: {
      status: 'task failed at plan',
      message:
        /owner: 'group:default\/no-such-team' is not a Group in the catalog/,
    },
    audit: taskRefused(GUEST),
  },
  {
    area: 'scaffolder task',
    identity: 'static token (service principal) for team-web',
    as: 'static',
    call: task(request('team-web', 'group:default/team-web')),
    expect: { status: 403, message: RESTRICTED_TOKEN },
    audit: NO_AUDIT_RESTRICTED,
  },

  // --- Scaffolder dry runs: any template, the same actions ------------------------
  {
    area: 'scaffolder dry-run',
    identity: 'guest (team-web) for team-web, into team-payments',
    as: 'guest',
    call: dryRun(request('team-payments', 'group:default/team-web')),
    expect: {
      status: 400,
      message:
        /namespace: 'team-payments' on cluster demo-east belongs to group:default\/team-payments, not to the owner group:default\/team-web/,
    },
    audit: requestRefused(GUEST),
  },
  {
    area: 'scaffolder dry-run',
    identity: 'guest (team-web), into vmportal-system',
    as: 'guest',
    call: dryRun(request('vmportal-system', 'group:default/team-web')),
    expect: {
      status: 400,
      message: /namespace: 'vmportal-system' is a protected namespace/,
    },
    audit: requestRefused(GUEST),
  },
  {
    area: 'scaffolder dry-run',
    identity: 'guest (team-web), into kube-system',
    as: 'guest',
    call: dryRun(request('kube-system', 'group:default/team-web')),
    expect: {
      status: 400,
      message: /namespace: is a system namespace; choose your team's namespace/,
    },
    audit: requestRefused(GUEST),
  },
  {
    area: 'scaffolder dry-run',
    identity: 'guest (team-web), owner group:default/no-such-team',
    as: 'guest',
    call: dryRun(request('team-web', 'group:default/no-such-team')),
    expect: {
      status: 400,
      message:
        /owner: 'group:default\/no-such-team' is not a Group in the catalog/,
    },
    audit: requestRefused(GUEST),
  },
  {
    area: 'scaffolder dry-run',
    identity: 'guest (team-web), image from the metadata address',
    as: 'guest',
    call: dryRun(request('team-web', 'group:default/team-web'), {
      http: { url: 'http://169.254.169.254/latest/meta-data/' },
      size: '20Gi',
    }),
    expect: {
      status: 400,
      message:
        /image\.http\.url: points at 169\.254\.169\.254, a link-local address/,
    },
    audit: requestRefused(GUEST),
  },
  {
    area: 'scaffolder dry-run',
    identity: 'guest (team-web), image from loopback (etcd)',
    as: 'guest',
    call: dryRun(request('team-web', 'group:default/team-web'), {
      http: { url: 'http://127.0.0.1:2379/v3/kv/range' },
      size: '20Gi',
    }),
    expect: {
      status: 400,
      message: /image\.http\.url: points at 127\.0\.0\.1, a loopback address/,
    },
    audit: requestRefused(GUEST),
  },
  {
    area: 'scaffolder dry-run',
    identity: 'guest (team-web) for team-web, into team-web (positive control)',
    as: 'guest',
    call: dryRun(request('team-web', 'group:default/team-web')),
    expect: { status: 200, message: /fits every quota of namespace team-web/ },
    audit: { none: 'a positive control: nothing refused' },
  },
  {
    area: 'scaffolder dry-run',
    identity: 'unauthenticated',
    as: 'none',
    call: dryRun(request('team-web', 'group:default/team-web')),
    expect: { status: 401, message: /Missing credentials/ },
    audit: NO_AUDIT_401,
  },

  // --- Quota, plan and sizes -------------------------------------------------------
  {
    area: 'quota',
    identity: 'guest',
    as: 'guest',
    call: backend('GET', () => '/api/kubevirt/v1/quota/demo-east/Kube_System'),
    expect: {
      status: 400,
      message: /Invalid namespace 'Kube_System' in the path/,
    },
    audit: { none: 'an input error, nothing read' },
  },
  {
    area: 'quota',
    identity: 'guest',
    as: 'guest',
    call: backend(
      'GET',
      () => '/api/kubevirt/v1/quota/demo-east/..%2fkube-system',
    ),
    expect: {
      status: 400,
      message: /Invalid namespace '\.\.\/kube-system' in the path/,
    },
    audit: { none: 'an input error, nothing read' },
  },
  {
    area: 'plan',
    identity: 'guest',
    as: 'guest',
    call: backend(
      'POST',
      () => '/api/kubevirt/v1/clusters/demo-east/namespaces/team_web/plan',
      () => ({ size: { instancetype: { name: 'u1.small' } } }),
    ),
    expect: {
      status: 400,
      message: /Invalid namespace 'team_web' in the path/,
    },
    audit: { none: 'an input error, nothing read' },
  },
  {
    area: 'sizes',
    identity: 'guest',
    as: 'guest',
    call: backend('GET', () => '/api/kubevirt/v1/clusters/..%2f..%2fapi/sizes'),
    expect: {
      status: 400,
      message: /Invalid cluster '\.\.\/\.\.\/api' in the path/,
    },
    audit: { none: 'an input error, nothing read' },
  },
  {
    area: 'quota',
    identity: 'unauthenticated',
    as: 'none',
    call: backend('GET', () => '/api/kubevirt/v1/quota/demo-east/team-web'),
    expect: { status: 401, message: /Missing credentials/ },
    audit: NO_AUDIT_401,
  },
  {
    area: 'plan',
    identity: 'unauthenticated',
    as: 'none',
    call: backend(
      'POST',
      () => '/api/kubevirt/v1/clusters/demo-east/namespaces/team-web/plan',
      () => ({ size: { instancetype: { name: 'u1.small' } } }),
    ),
    expect: { status: 401, message: /Missing credentials/ },
    audit: NO_AUDIT_401,
  },
  {
    area: 'sizes',
    identity: 'unauthenticated',
    as: 'none',
    call: backend('GET', () => '/api/kubevirt/v1/clusters/demo-east/sizes'),
    expect: { status: 401, message: /Missing credentials/ },
    audit: NO_AUDIT_401,
  },

  // --- Catalog location registration ------------------------------------------------
  {
    area: 'catalog',
    identity: 'guest',
    as: 'guest',
    call: backend(
      'POST',
      () => '/api/catalog/locations',
      () => ({
        type: 'file',
        target: '/etc/vmportal/evil-vm.yaml',
      }),
    ),
    expect: {
      status: 400,
      message: /Registered locations must be of an allowed type \["url"\]/,
    },
    audit: audited('catalog', 'location-mutate', GUEST, 'failed'),
  },
  {
    area: 'catalog',
    identity: 'guest',
    as: 'guest',
    call: backend(
      'POST',
      () => '/api/catalog/locations',
      () => ({
        type: 'kubevirt',
        target: VM.payments,
      }),
    ),
    expect: {
      status: 400,
      message: /Registered locations must be of an allowed type \["url"\]/,
    },
    audit: audited('catalog', 'location-mutate', GUEST, 'failed'),
  },
  {
    area: 'catalog',
    identity: 'guest',
    as: 'guest',
    call: backend(
      'POST',
      () => '/api/catalog/locations?dryRun=true',
      () => ({
        type: 'url',
        target: 'http://169.254.169.254/latest/catalog-info.yaml',
      }),
    ),
    expect: {
      status: 400,
      message:
        /Reading from 'http:\/\/169\.254\.169\.254\/latest\/catalog-info\.yaml' is not allowed/,
    },
    audit: {
      none: "Backstage's catalog audits dry runs at severity low, which it logs at debug; nothing was stored",
    },
  },

  // --- Positive controls last: an owner may power their own VM ---------------------
  {
    area: 'power',
    identity: 'guest (owner)',
    as: 'guest',
    call: power(VM.canary, 'start'),
    expect: { status: 202, message: /"action":\s*"start"/ },
    audit: audited('kubevirt', 'vm-power-action', GUEST, 'succeeded'),
    changes: { vm: VM.canary, printableStatus: 'Running' },
  },
  {
    area: 'power',
    identity: 'guest (owner)',
    as: 'guest',
    call: power(VM.canary, 'stop'),
    expect: { status: 202, message: /"action":\s*"stop"/ },
    audit: audited('kubevirt', 'vm-power-action', GUEST, 'succeeded'),
    changes: { vm: VM.canary, printableStatus: 'Stopped' },
  },
];

// ---------------------------------------------------------------------------------
// Running them

interface Result {
  id: string;
  probe: Probe;
  request: string;
  outcome?: Outcome;
  problems: string[];
  /** What happened on the way that the reader should know (a resend). */
  notes: string[];
}

const results: Result[] = [];

function cell(text: string, max = 220): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return (flat.length > max ? `${flat.slice(0, max)}…` : flat)
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;');
}

function expectedMessage(probe: Probe, c: Ctx): RegExp {
  const { message } = probe.expect;
  return typeof message === 'function' ? message(c) : message;
}

function expectedAudit(audit: Probe['audit']): string {
  if ('none' in audit) return `none (${audit.none})`;
  return `${audit.plugin}.${audit.eventId} ${audit.status}${
    audit.severity ? `, ${audit.severity}` : ''
  }${audit.level ? `, at ${audit.level}` : ''}, actor ${audit.actor}`;
}

function probeTable(c: Ctx): string {
  const rows = results.map(r => {
    const actual = r.outcome
      ? `${r.outcome.status}: ${r.outcome.message}`
      : 'no answer';
    return `| ${r.id} | ${cell(r.probe.identity)} | ${cell(r.request, 400)} | ${
      r.probe.expect.status
    }, \`${cell(expectedMessage(r.probe, c).source, 160)}\`; audit: ${cell(
      expectedAudit(r.probe.audit),
    )} | ${cell(actual)} | ${
      r.problems.length === 0
        ? `pass${r.notes.length ? ` (${cell(r.notes.join('; '))})` : ''}`
        : `**FAIL**: ${cell(r.problems.join('; '), 600)}`
    } |`;
  });
  const passed = results.filter(r => r.problems.length === 0).length;
  return [
    `${passed} of ${
      results.length
    } probes pass (run ${new Date().toISOString()}).`,
    '',
    '| # | identity | request | expected (status, message; audit) | actual | result |',
    '| - | -------- | ------- | --------------------------------- | ------ | ------ |',
    ...rows,
    '',
  ].join('\n');
}

/**
 * `npm start` and `npm test` run the backend with `backstage-cli package start`, which
 * restarts it (with a fresh in-memory database and signing keys) when a source file
 * changes. Each probe starts from a ready backend, a fresh guest token and a catalog
 * that holds the VMs aimed at.
 */
async function ensureReady(c: Ctx): Promise<void> {
  await waitFor('the backend to be ready', 300_000, async () => {
    const response = await fetch(
      `${c.backendUrl}/.backstage/health/v1/readiness`,
    );
    return response.ok ? true : undefined;
  });
  c.guestToken = await waitFor('the guest sign-in', 120_000, () =>
    guestToken(c.backendUrl),
  );
  await waitFor(
    'the VM entities of the demo in the catalog',
    240_000,
    async () => {
      const keys = new Set(
        (await virtualMachineEntities(c)).map(entity => {
          const a = entity.metadata.annotations ?? {};
          return `${a[ANNOTATION.cluster]}/${a[ANNOTATION.namespace]}/${
            a[ANNOTATION.name]
          }`;
        }),
      );
      return Object.values(VM).every(key => keys.has(key)) ? true : undefined;
    },
  );
}

/** The backend did not answer at all (it is restarting), here or inside a wait. */
function unreachable(error: unknown): boolean {
  return error instanceof Error && /fetch failed/.test(error.message);
}

/**
 * Sends the probe and checks everything it must show; problems go to `result`. When
 * the backend restarts under a probe (a watched source file changed), the probe is
 * run again from a fresh snapshot, and the table says so.
 */
async function runProbe(c: Ctx, probe: Probe, result: Result): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await ensureReady(c);
    try {
      result.problems = await checkProbe(c, probe, result);
      return;
    } catch (error) {
      if (!unreachable(error) || attempt === 3) throw error;
      result.notes.push('run again: the backend restarted meanwhile');
    }
  }
}

async function checkProbe(
  c: Ctx,
  probe: Probe,
  result: Result,
): Promise<string[]> {
  const problems: string[] = [];
  const was = await snapshot(c);
  const offset = logSize();
  const outcome = await probe.call.send(c, probe.as);
  result.outcome = outcome;
  if (outcome.status !== probe.expect.status) {
    problems.push(`status ${outcome.status}, expected ${probe.expect.status}`);
  }
  const message = expectedMessage(probe, c);
  if (!message.test(outcome.message)) {
    problems.push(
      `message ${JSON.stringify(
        outcome.message.slice(0, 600),
      )} does not match ${message}`,
    );
  }
  for (const text of probe.expect.absent?.(c) ?? []) {
    if (text && outcome.body.includes(text)) {
      problems.push(`the answer holds ${JSON.stringify(text.slice(0, 80))}`);
    }
  }
  if (!('none' in probe.audit)) {
    const missing = await missingAudit(
      offset,
      probe.audit,
      outcome.auditKeys ?? [],
    );
    if (missing) problems.push(missing);
  }
  if (probe.changes) {
    const { vm, printableStatus } = probe.changes;
    const reached = await waitFor(
      `${vm} to be ${printableStatus}`,
      150_000,
      async () =>
        (await readVm(vm)).status?.printableStatus === printableStatus
          ? true
          : undefined,
    ).catch((error: Error) => error.message);
    if (reached !== true) problems.push(reached);
  }
  const now = await snapshot(c);
  problems.push(
    ...differences(
      'cluster',
      was.vms,
      now.vms,
      key => key === probe.changes?.vm,
    ),
    ...differences('catalog', was.catalog, now.catalog),
    ...differences('git', was.git, now.git),
  );
  return problems;
}

let ctx: Ctx | undefined;
let attackerBranch: string | undefined;

function readyCtx(): Ctx {
  assert.ok(ctx, 'the demo was not ready: see the first failure');
  return ctx;
}

before(async () => {
  const { backendUrl } = portalUrls();
  const token = await waitFor('the guest sign-in', 120_000, () =>
    guestToken(backendUrl),
  );
  const base: AsGuest = { backendUrl, guestToken: token };

  // The provider's entities for the VMs aimed at (the catalog may still be filling).
  const keys = Object.values(VM);
  const entities = await waitFor(
    'the VM entities of the demo in the catalog',
    240_000,
    async () => {
      const all = await virtualMachineEntities(base);
      const found = new Map<string, CatalogEntity>();
      for (const entity of all) {
        const a = entity.metadata.annotations ?? {};
        const key = `${a[ANNOTATION.cluster]}/${a[ANNOTATION.namespace]}/${
          a[ANNOTATION.name]
        }`;
        if ((keys as string[]).includes(key)) found.set(key, entity);
      }
      return found.size === keys.length ? found : undefined;
    },
  );
  const userData = new Map<string, string>();
  for (const key of keys) {
    const vm = (await readVm(key)) as VirtualMachineObject & {
      spec: {
        template?: {
          spec?: {
            volumes?: Array<{ cloudInitNoCloud?: { userData?: string } }>;
          };
        };
      };
    };
    const data = vm.spec.template?.spec?.volumes?.find(
      v => v.cloudInitNoCloud?.userData,
    )?.cloudInitNoCloud?.userData;
    assert.ok(data, `${key} has no inline cloud-init userData to look for`);
    userData.set(key, data);
  }
  const template = await backendJson<TemplateEntity & Record<string, unknown>>(
    base,
    '/api/catalog/entities/by-name/template/default/request-virtual-machine',
  );

  // The positive control starts the canary from Stopped.
  const canary = await readVm(VM.canary);
  if (canary.status?.printableStatus !== 'Stopped') {
    const [cluster, namespace, name] = VM.canary.split('/');
    await kube(
      cluster,
      'admin',
      'PATCH',
      `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines/${name}`,
      { spec: { runStrategy: 'Halted' } },
      MERGE_PATCH,
    );
    await waitFor(`${VM.canary} to be Stopped`, 120_000, async () =>
      (await readVm(VM.canary)).status?.printableStatus === 'Stopped'
        ? true
        : undefined,
    );
  }

  // Demo VMs that are still starting change on their own (the simulator plays
  // virt-controller): wait until none is in transition, so that "nothing changed"
  // measures what a probe did and nothing else.
  const transitional = new Set([
    'Provisioning',
    'WaitingForVolumeBinding',
    'Starting',
    'Stopping',
    'Terminating',
    'Migrating',
    'WaitingForReceiver',
  ]);
  await waitFor('every demo VM to settle', 180_000, async () => {
    const moving = [...(await vmStates()).entries()].filter(([, state]) =>
      transitional.has(JSON.parse(state).status),
    );
    return moving.length === 0 ? true : undefined;
  });

  // The attacker's Component file, on a branch of the one repository the portal reads.
  const payments = entities.get(VM.payments);
  assert.ok(payments, `no entity for ${VM.payments}`);
  const a = payments.metadata.annotations ?? {};
  attackerBranch = `e2e-attacker-${suffix}`;
  const copy = [
    'apiVersion: backstage.io/v1alpha1',
    'kind: Component',
    'metadata:',
    `  name: e2e-copy-${suffix}`,
    '  annotations:',
    ...[
      ANNOTATION.cluster,
      ANNOTATION.namespace,
      ANNOTATION.name,
      ANNOTATION.uid,
      LOCATION_ANNOTATION,
      'backstage.io/managed-by-origin-location',
    ].map(key => `    ${key}: '${a[key] ?? ''}'`),
    'spec:',
    '  type: virtual-machine',
    '  lifecycle: production',
    '  owner: group:default/team-web',
    '',
  ].join('\n');
  const repo = `/repos/${REPO.owner}/${REPO.repo}`;
  const main = await gitApi<{ object: { sha: string } }>(
    `${repo}/git/ref/heads/main`,
  );
  const tree = await gitApi<{ sha: string }>(`${repo}/git/trees`, {
    method: 'POST',
    body: JSON.stringify({
      base_tree: main.object.sha,
      tree: [{ path: 'catalog-info.yaml', mode: '100644', content: copy }],
    }),
  });
  const commit = await gitApi<{ sha: string }>(`${repo}/git/commits`, {
    method: 'POST',
    body: JSON.stringify({
      message: 'e2e: an attacker-controlled catalog file',
      tree: tree.sha,
      parents: [main.object.sha],
    }),
  });
  await gitApi(`${repo}/git/refs`, {
    method: 'POST',
    body: JSON.stringify({
      ref: `refs/heads/${attackerBranch}`,
      sha: commit.sha,
    }),
  });
  const web = env('E2E_GIT_API_URL').replace(/\/api\/v3\/?$/, '');

  ctx = {
    ...base,
    entityPath: key => {
      const entity = entities.get(key);
      assert.ok(entity, `no entity for ${key}`);
      return `${entity.metadata.namespace ?? 'default'}/component/${
        entity.metadata.name
      }`;
    },
    userData: key => userData.get(key) ?? '',
    template: {
      apiVersion: template.apiVersion,
      kind: template.kind,
      metadata: {
        name: template.metadata.name,
        namespace: template.metadata.namespace,
        title: template.metadata.title,
      },
      spec: template.spec,
    },
    attackerFileUrl: `${web}/${REPO.owner}/${REPO.repo}/blob/${attackerBranch}/catalog-info.yaml`,
  };
});

after(async () => {
  if (attackerBranch) {
    await gitApi(
      `/repos/${REPO.owner}/${REPO.repo}/git/refs/${encodeURIComponent(
        `heads/${attackerBranch}`,
      )}`,
      { method: 'DELETE' },
    ).catch(error => process.stderr.write(`cleanup failed: ${error}\n`));
  }
  if (results.length === 0 || !ctx) return;
  const { outputDir } = portalUrls();
  const file = join(outputDir, 'probes.md');
  writeFileSync(file, `# Adversarial probes (issue 13)\n\n${probeTable(ctx)}`);
  process.stdout.write(`probe table: ${file}\n`);
});

describe('adversarial probes against the demo (issue 13)', () => {
  test('at least 30 probes, from every identity and path the issue names', () => {
    assert.ok(probes.length >= 30, `${probes.length} probes`);
    const callers = new Set(probes.map(p => p.as));
    for (const as of ['guest', 'static', 'none', 'forged'] as const) {
      assert.ok(callers.has(as), `no probe as ${as}`);
    }
    const areas = new Set(probes.map(p => p.area));
    for (const area of [
      'power',
      'vm view',
      'kubernetes proxy',
      'scaffolder task',
      'scaffolder dry-run',
      'quota',
      'catalog',
    ]) {
      assert.ok(areas.has(area), `no probe of ${area}`);
    }
  });

  probes.forEach((probe, index) => {
    const id = `P${String(index + 1).padStart(2, '0')}`;
    test(
      `${id} ${probe.area}: ${probe.identity} → ${probe.expect.status}`,
      { timeout: 600_000 },
      async () => {
        const c = readyCtx();
        const result: Result = {
          id,
          probe,
          request: probe.call.describe(c),
          problems: [],
          notes: [],
        };
        results.push(result);
        try {
          await runProbe(c, probe, result);
        } catch (error) {
          result.problems.push(
            `the probe could not be run: ${
              error instanceof Error ? error.message : String(error)
            }`,
          );
        }
        assert.deepEqual(
          result.problems,
          [],
          `${id} ${result.request}\nanswered ${
            result.outcome?.status ?? 'nothing'
          }: ${result.outcome?.message.slice(0, 800) ?? ''}`,
        );
      },
    );
  });
});
