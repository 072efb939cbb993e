import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';

/** The portal under test; `npm test` starts it and passes its URLs. */
export function portalUrls(): {
  appUrl: string;
  backendUrl: string;
  outputDir: string;
} {
  const appUrl = process.env.E2E_APP_URL;
  const backendUrl = process.env.E2E_BACKEND_URL;
  if (!appUrl || !backendUrl) {
    throw new Error(
      'E2E_APP_URL and E2E_BACKEND_URL are not set: run the end-to-end tests through `npm test`, which starts the portal',
    );
  }
  const outputDir =
    process.env.E2E_OUTPUT_DIR ?? join(process.cwd(), 'e2e-test-report');
  mkdirSync(outputDir, { recursive: true });
  return { appUrl, backendUrl, outputDir };
}

/** Debian's chromium, headless, with no network beyond loopback needed. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.VMPORTAL_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Opens the app and signs in with the development guest provider. */
export async function signInAsGuest(page: Page, appUrl: string): Promise<void> {
  await page.goto(appUrl);
  await page.getByRole('button', { name: 'Enter' }).click();
  await page
    .getByTestId('sidebar-root')
    .getByRole('link', { name: 'Catalog', exact: true })
    .waitFor({ state: 'visible', timeout: 60_000 });
}

/**
 * A Backstage token for `user:default/guest`, as the app gets it when the guest clicks
 * "Enter": the guest provider's refresh route, which issues it with the ownership the
 * catalog gives the guest (team-web).
 */
export async function guestToken(backendUrl: string): Promise<string> {
  const response = await fetch(`${backendUrl}/api/auth/guest/refresh`, {
    headers: { 'X-Requested-With': 'XMLHttpRequest' },
  });
  const text = await response.text();
  if (response.status !== 200) {
    throw new Error(`guest sign-in answered ${response.status}: ${text}`);
  }
  const token = (JSON.parse(text) as { backstageIdentity?: { token?: string } })
    .backstageIdentity?.token;
  if (!token) throw new Error('guest sign-in returned no Backstage token');
  return token;
}

/** A response's JSON body; an error naming the method, path, status and body unless 2xx. */
export async function jsonOrThrow<T>(
  response: Response,
  method: string,
  path: string,
): Promise<T> {
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${method} ${path}: ${response.status} ${text}`);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

let guestTokens: Promise<string> | undefined;

/**
 * The portal's backend (`E2E_BACKEND_URL`), called as the signed-in guest; rejects
 * naming the method, path, status and body when it does not answer 2xx.
 */
export async function guestBackend<T>(
  path: string,
  init: RequestInit = {},
): Promise<T> {
  const { backendUrl } = portalUrls();
  guestTokens ??= guestToken(backendUrl);
  const response = await fetch(`${backendUrl}${path}`, {
    ...init,
    headers: {
      Authorization: `Bearer ${await guestTokens}`,
      'Content-Type': 'application/json',
      ...init.headers,
    },
  });
  return jsonOrThrow<T>(response, init.method ?? 'GET', path);
}

/**
 * The KubeVirt provider's catalog entity of VM `name` on `clusterName`, once the
 * catalog has it (within 90 s).
 */
export async function vmEntity(
  name: string,
  clusterName: string,
): Promise<{ metadata: { name: string } }> {
  return waitFor(`the catalog entity of ${name}`, 90_000, async () => {
    const { items } = await guestBackend<{
      items: Array<{
        metadata: { name: string; annotations?: Record<string, string> };
      }>;
    }>(
      `/api/catalog/entities/by-query?filter=${encodeURIComponent(
        `kind=component,metadata.annotations.kubevirt.vmportal.io/name=${name}`,
      )}`,
    );
    return items.find(
      e =>
        e.metadata.annotations?.['kubevirt.vmportal.io/cluster'] ===
        clusterName,
    );
  });
}

/** An event of a scaffolder task, as `GET /api/scaffolder/v2/tasks/:id/events` lists it. */
export interface TaskEvent {
  type: string;
  body: {
    message?: string;
    stepId?: string;
    status?: string;
    error?: { name?: string; message?: string };
    output?: { links?: Array<{ title?: string; url?: string }> };
  };
}

/**
 * Runs a template through the scaffolder API as the guest, as a script would;
 * resolves when the task has ended, with its status, events and log.
 */
export async function runTemplate(
  templateRef: string,
  values: Record<string, unknown>,
): Promise<{ id: string; status: string; events: TaskEvent[]; log: string }> {
  const [kind, rest] = templateRef.split(':');
  const [namespace, name] = rest.split('/');
  // The catalog reads the templates from app-config's catalog.locations at start-up.
  await waitFor(`${templateRef} in the catalog`, 120_000, async () =>
    guestBackend<unknown>(
      `/api/catalog/entities/by-name/${kind}/${namespace}/${name}`,
    ),
  );
  const { id } = await guestBackend<{ id: string }>(
    '/api/scaffolder/v2/tasks',
    { method: 'POST', body: JSON.stringify({ templateRef, values }) },
  );
  const status = await waitFor(`task ${id} to end`, 180_000, async () => {
    const task = await guestBackend<{ status: string }>(
      `/api/scaffolder/v2/tasks/${id}`,
    );
    return ['completed', 'failed', 'cancelled'].includes(task.status)
      ? task.status
      : undefined;
  });
  const events = await guestBackend<TaskEvent[]>(
    `/api/scaffolder/v2/tasks/${id}/events`,
  );
  const log = events
    .map(e =>
      [e.body.message, e.body.error?.message].filter(Boolean).join('\n'),
    )
    .join('\n');
  return { id, status, events, log };
}

/**
 * The secrets of the running demo: each cluster's admin, reader and actor tokens and
 * CA, the demo git server's token and the backend's API token. None may ever reach a
 * browser.
 */
function demoSecrets(): Array<{ what: string; value: string }> {
  const secrets: Array<{ what: string; value: string }> = [];
  const kubeDir = process.env.E2E_KUBE_DIR;
  if (!kubeDir) {
    throw new Error(
      'E2E_KUBE_DIR is not set: run the end-to-end tests through `npm test`',
    );
  }
  const clusters = JSON.parse(
    readFileSync(join(kubeDir, 'clusters.json'), 'utf8'),
  ) as Array<Record<string, string>>;
  for (const entry of clusters) {
    for (const key of ['token', 'readerToken', 'actorToken', 'caData']) {
      if (entry[key]) {
        secrets.push({ what: `${entry.name} ${key}`, value: entry[key] });
        if (key === 'caData') {
          // The PEM's body, as it would appear once decoded.
          const pem = Buffer.from(entry[key], 'base64').toString('utf8');
          const body = pem.split('\n').find(line => line.length >= 60);
          if (body) secrets.push({ what: `${entry.name} CA`, value: body });
        }
      }
    }
  }
  for (const name of ['E2E_GIT_TOKEN', 'VMPORTAL_API_TOKEN']) {
    const value = process.env[name];
    if (value) secrets.push({ what: name, value });
  }
  return secrets;
}

/**
 * Records every response `page` receives (documents, scripts, config, API answers);
 * `check()` rejects naming the URL and the secret if any of them held a demo secret.
 */
export function watchForSecrets(page: Page): { check(): Promise<number> } {
  const secrets = demoSecrets();
  const bodies: Array<Promise<{ url: string; text: string }>> = [];
  page.on('response', response => {
    bodies.push(
      response.body().then(
        body => ({ url: response.url(), text: body.toString('utf8') }),
        () => ({ url: response.url(), text: '' }),
      ),
    );
  });
  return {
    async check() {
      const seen = await Promise.all(bodies);
      for (const { url, text } of seen) {
        for (const secret of secrets) {
          if (text.includes(secret.value)) {
            throw new Error(`the browser received ${secret.what} from ${url}`);
          }
        }
      }
      return seen.length;
    },
  };
}

/** A variable `npm test` sets for the end-to-end tests; fails naming it when missing. */
export function env(name: string): string {
  const value = process.env[name];
  assert.ok(
    value,
    `${name} is not set: run the end-to-end tests through npm test, which starts the demo portal and passes it`,
  );
  return value;
}

/** Polls `check` until it returns a value, for at most `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs / 1000}s waiting for ${what}${
          last ? `: ${last instanceof Error ? last.message : String(last)}` : ''
        }`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 500));
  }
}

/** The demo git server's GitHub REST API. */
export async function gitApi<T>(
  path: string,
  init: RequestInit = {},
): Promise<T> {
  const response = await fetch(`${env('E2E_GIT_API_URL')}${path}`, {
    ...init,
    headers: {
      Authorization: `token ${env('E2E_GIT_TOKEN')}`,
      Accept: 'application/vnd.github+json',
      'Content-Type': 'application/json',
      ...init.headers,
    },
  });
  return jsonOrThrow<T>(response, init.method ?? 'GET', path);
}

/** `git` on the demo's bare GitOps repository. */
export function git(...args: string[]): string {
  return execFileSync('git', ['--git-dir', env('E2E_GIT_REPO_PATH'), ...args], {
    encoding: 'utf8',
  });
}

/** The demo's GitOps repository. */
export const DEMO_REPO = { owner: 'vmportal-demo', repo: 'vm-gitops' };

/**
 * The request form's OS field (`VirtualMachineImagePicker`) for Fedora as an
 * ephemeral container disk: what API-driven tests send as `os`.
 */
export const FEDORA_CONTAINER_DISK = {
  image: { containerDisk: { image: 'quay.io/containerdisks/fedora:41' } },
  preference: 'fedora',
  title: 'Fedora 41 (ephemeral)',
};

export interface Cluster {
  name: string;
  url: string;
  token: string;
  caData: string;
}

/** A demo cluster with cluster-admin access, from the control plane's clusters.json. */
export function cluster(name: string): Cluster {
  const clusters = JSON.parse(
    readFileSync(join(env('E2E_KUBE_DIR'), 'clusters.json'), 'utf8'),
  ) as Cluster[];
  const found = clusters.find(c => c.name === name);
  assert.ok(found, `no cluster ${name} in E2E_KUBE_DIR`);
  return found;
}

export function kube<T>(
  c: Cluster,
  method: string,
  path: string,
  body?: object,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      new URL(path, c.url),
      {
        method,
        ca: Buffer.from(c.caData, 'base64'),
        headers: {
          Authorization: `Bearer ${c.token}`,
          Accept: 'application/json',
          ...(body && { 'Content-Type': 'application/json' }),
        },
      },
      response => {
        const chunks: Buffer[] = [];
        response.on('data', chunk => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((response.statusCode ?? 0) >= 300) {
            reject(
              new Error(`${method} ${path}: ${response.statusCode} ${text}`),
            );
          } else resolve(JSON.parse(text) as T);
        });
      },
    );
    request.on('error', reject);
    request.end(body && JSON.stringify(body));
  });
}

/** Takes the test's files off main again (a commit straight to main, as an admin would). */
export async function removeFromMain(paths: string[]) {
  const base = `/repos/${DEMO_REPO.owner}/${DEMO_REPO.repo}`;
  const head = await gitApi<{ object: { sha: string } }>(
    `${base}/git/ref/heads/main`,
  );
  const tree = await gitApi<{ sha: string }>(`${base}/git/trees`, {
    method: 'POST',
    body: JSON.stringify({
      base_tree: head.object.sha,
      tree: paths.map(path => ({ path, mode: '100644', sha: null })),
    }),
  });
  const commit = await gitApi<{ sha: string }>(`${base}/git/commits`, {
    method: 'POST',
    body: JSON.stringify({
      message: 'e2e: remove the test VM',
      tree: tree.sha,
      parents: [head.object.sha],
    }),
  });
  await gitApi(`${base}/git/refs/heads/main`, {
    method: 'PATCH',
    body: JSON.stringify({ sha: commit.sha }),
  });
}

/** Undoes a merged request: its files off main, and the VM off the cluster. */
export async function removeRequestedVm(
  c: Cluster,
  namespace: string,
  name: string,
): Promise<void> {
  const folder = `clusters/${c.name}/${namespace}/${name}`;
  await removeFromMain([
    `${folder}/kustomization.yaml`,
    `${folder}/virtualmachine.yaml`,
  ]);
  await kube(
    c,
    'DELETE',
    `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines/${name}`,
  );
}

/** Copies a screenshot to `plugins/kubevirt/docs/<name>`, where the READMEs show it. */
export function keepScreenshotForDocs(screenshot: string, name: string): void {
  const docs = join(__dirname, '..', '..', '..', 'plugins', 'kubevirt', 'docs');
  mkdirSync(docs, { recursive: true });
  copyFileSync(screenshot, join(docs, name));
}
