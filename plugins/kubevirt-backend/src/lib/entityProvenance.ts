import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { ConflictError, NotAllowedError } from '@backstage/errors';
import {
  KUBEVIRT_ANNOTATIONS,
  VIRTUAL_MACHINE_COMPONENT_TYPE,
  VirtualMachine,
  virtualMachineEntityLocation,
} from '@vmportal/plugin-kubevirt-common';

/**
 * The VirtualMachine an entity names, by its `kubevirt.vmportal.io/*` annotations.
 *
 * @internal
 */
export interface VirtualMachineRef {
  cluster: string;
  namespace: string;
  name: string;
}

/**
 * Refuses (`NotAllowedError`) an entity the KubeVirt catalog provider did not emit for
 * exactly the VM its annotations name: a virtual-machine Component whose location
 * annotations are the provider's for that cluster, namespace and name, with the VM's
 * uid. Otherwise anyone who may register a catalog file could copy the annotations,
 * point them at another team's VM and own the copy.
 *
 * @internal
 */
export function assertEmittedByProvider(
  entity: Entity,
  vm: VirtualMachineRef,
): void {
  const entityRef = stringifyEntityRef(entity);
  const annotations = entity.metadata.annotations ?? {};
  const refuse = (why: string) => {
    throw new NotAllowedError(
      `${entityRef} is not an entity of the KubeVirt catalog provider (${why}), so the portal does not show or act on the VirtualMachine it names; use the entity the provider made for ${vm.namespace}/${vm.name} on cluster ${vm.cluster}`,
    );
  };
  if (
    entity.kind.toLocaleLowerCase('en-US') !== 'component' ||
    entity.spec?.type !== VIRTUAL_MACHINE_COMPONENT_TYPE
  ) {
    refuse(
      `it is a ${entity.kind} of type '${String(
        entity.spec?.type ?? 'none',
      )}', not a Component of type ${VIRTUAL_MACHINE_COMPONENT_TYPE}`,
    );
  }
  const expected = virtualMachineEntityLocation(vm);
  for (const key of [ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION]) {
    if (annotations[key] !== expected) {
      refuse(
        `its ${key} is '${
          annotations[key] ?? ''
        }', the provider's would be '${expected}'`,
      );
    }
  }
  if (!annotations[KUBEVIRT_ANNOTATIONS.uid]) {
    refuse(`it has no ${KUBEVIRT_ANNOTATIONS.uid} annotation`);
  }
}

/**
 * `ConflictError` when the live VM is not the one the entity was emitted for (deleted
 * and re-created under the same name): the catalog will catch up, and until then the
 * entity's owner may not be the new VM's.
 *
 * @internal
 */
export function assertSameVirtualMachine(
  entity: Entity,
  vm: VirtualMachine,
  cluster: string,
): void {
  const expected = entity.metadata.annotations?.[KUBEVIRT_ANNOTATIONS.uid];
  const actual = vm.metadata.uid;
  if (expected !== actual) {
    throw new ConflictError(
      `VirtualMachine ${vm.metadata.namespace}/${
        vm.metadata.name
      } on cluster ${cluster} was re-created since ${stringifyEntityRef(
        entity,
      )} was made for it (uid ${actual ?? 'unknown'}, the entity has ${
        expected ?? 'none'
      }); the catalog has not caught up yet, retry in a few seconds`,
    );
  }
}
