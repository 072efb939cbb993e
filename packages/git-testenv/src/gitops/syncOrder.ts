/*
 * The order manifests of one commit are applied in, as sync waves would order them:
 * namespaces before what lives in them, claims before the VMs that mount them.
 */

/** The identifying part of a Kubernetes object. @public */
export interface KubernetesManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

/** Kinds by wave; a kind not named here goes in the last wave. */
const WAVES: string[][] = [
  ['Namespace'],
  ['ResourceQuota', 'LimitRange'],
  ['Secret', 'ConfigMap'],
  ['PersistentVolumeClaim'],
  ['DataVolume'],
  ['VirtualMachine'],
];

/** Position of a manifest's kind in apply order; other kinds go last. @internal */
export function applyOrder(manifest: KubernetesManifest): number {
  const wave = WAVES.findIndex(kinds => kinds.includes(manifest.kind));
  return wave === -1 ? WAVES.length : wave;
}
