import type {
  KubeObjectMeta,
  KubeOwnerReference,
  VirtualMachine as KubevirtVirtualMachine,
  VirtualMachineInstanceLike,
} from '@vmportal/plugin-kubevirt-common';

/*
 * KubeVirt's and CDI's objects are declared once, in @vmportal/plugin-kubevirt-common;
 * the simulator narrows only what the CRDs guarantee and it relies on.
 */

/**
 * A VirtualMachine as the simulator reads it from the apiserver: KubeVirt's CRD
 * requires `spec.template`, which the portal's readers treat as optional.
 */
export interface VirtualMachine extends KubevirtVirtualMachine {
  spec: KubevirtVirtualMachine['spec'] & {
    template: VirtualMachineInstanceLike;
  };
}

/** The controller owner reference of `object` (a KubeVirt or a client-node object), if any. */
export function controllerOf<Ref extends { controller?: boolean }>(object: {
  metadata?: { ownerReferences?: Ref[] };
}): Ref | undefined {
  return object.metadata?.ownerReferences?.find(ref => ref.controller);
}

/** A controller owner reference to `owner`, as `metav1.NewControllerRef` builds it. */
export function controllerRef(
  owner: { metadata: KubeObjectMeta },
  apiVersion: string,
  kind: string,
): KubeOwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}
