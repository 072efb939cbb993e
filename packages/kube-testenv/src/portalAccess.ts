import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

/**
 * The RBAC a platform team applies to give the portal its two credentials
 * (`deploy/rbac/vmportal-rbac.yaml` at the repository root). The local control plane
 * applies exactly this file, so the tests run with the production permissions.
 *
 * @public
 */
export const PORTAL_RBAC_FILE = join(
  // This package only ever runs from source (tsx, jest), never built.
  // eslint-disable-next-line no-restricted-syntax
  __dirname,
  '..',
  '..',
  '..',
  'deploy',
  'rbac',
  'vmportal-rbac.yaml',
);

/**
 * Namespace of the portal's service accounts.
 *
 * @public
 */
export const PORTAL_NAMESPACE = 'vmportal-system';
/**
 * The reader: get, list and watch only. Its token goes to the Kubernetes plugin's
 * cluster entry, which that plugin's proxy also uses.
 *
 * @public
 */
export const READER_SERVICE_ACCOUNT = 'vmportal-reader';
/**
 * The actor: power subresources, run-strategy patch, server-side dry-run; never
 * behind a proxy.
 *
 * @public
 */
export const ACTOR_SERVICE_ACCOUNT = 'vmportal-actor';

/**
 * The objects of {@link PORTAL_RBAC_FILE}, in file order. Throws when the file does not
 * define both service accounts in {@link PORTAL_NAMESPACE}, because the control plane
 * issues their tokens by those names.
 *
 * @internal
 */
export function portalAccessObjects(): KubernetesObject[] {
  const objects = parseAllDocuments(readFileSync(PORTAL_RBAC_FILE, 'utf8'))
    .map(doc => doc.toJS() as KubernetesObject | null)
    .filter((object): object is KubernetesObject => Boolean(object?.kind));
  for (const name of [READER_SERVICE_ACCOUNT, ACTOR_SERVICE_ACCOUNT]) {
    const found = objects.some(
      o =>
        o.kind === 'ServiceAccount' &&
        o.metadata?.name === name &&
        o.metadata?.namespace === PORTAL_NAMESPACE,
    );
    if (!found) {
      throw new Error(
        `${PORTAL_RBAC_FILE} defines no ServiceAccount ${PORTAL_NAMESPACE}/${name}; kube-testenv issues the portal's tokens for it, so keep the name or change portalAccess.ts with it`,
      );
    }
  }
  return objects;
}
