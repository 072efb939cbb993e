import type { Entity } from '@backstage/catalog-model';
import { KUBEVIRT_ANNOTATIONS } from '@vmportal/plugin-kubevirt-common';

/**
 * Whether an entity names a KubeVirt VirtualMachine (cluster, namespace and name
 * annotations), for `EntitySwitch.Case if={...}` in a legacy entity page.
 *
 * @public
 */
export function isVirtualMachineAvailable(entity: Entity): boolean {
  const annotations = entity.metadata.annotations ?? {};
  return Boolean(
    annotations[KUBEVIRT_ANNOTATIONS.cluster] &&
      annotations[KUBEVIRT_ANNOTATIONS.namespace] &&
      annotations[KUBEVIRT_ANNOTATIONS.name],
  );
}
