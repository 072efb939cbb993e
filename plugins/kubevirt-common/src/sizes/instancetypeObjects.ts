import type {
  InstancetypeSpecLike,
  PreferenceSpecLike,
} from '../quota/kubevirtObjects';

/**
 * A `VirtualMachineClusterInstancetype` or namespaced `VirtualMachineInstancetype`
 * (instancetype.kubevirt.io/v1beta1) as read from a cluster.
 *
 * @public
 */
export interface InstancetypeObject {
  apiVersion?: string;
  kind: 'VirtualMachineClusterInstancetype' | 'VirtualMachineInstancetype';
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: InstancetypeSpecLike;
}

/**
 * A `VirtualMachineClusterPreference` or namespaced `VirtualMachinePreference`
 * (instancetype.kubevirt.io/v1beta1) as read from a cluster.
 *
 * @public
 */
export interface PreferenceObject {
  apiVersion?: string;
  kind: 'VirtualMachineClusterPreference' | 'VirtualMachinePreference';
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: PreferenceSpecLike;
}
