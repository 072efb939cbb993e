import type {
  CdiConfigLike,
  KubeVirtConfigurationLike,
} from '@vmportal/plugin-kubevirt-common';
import type { KubeObject } from './vmPageObjects';

/**
 * CDI's cluster configuration (`cdiconfigs.cdi.kubevirt.io` named `config`), as read.
 *
 * @public
 */
export type CdiConfigObject = KubeObject & CdiConfigLike;

/**
 * A CDI StorageProfile (`storageprofiles.cdi.kubevirt.io`): how CDI creates claims in
 * the storage class of the same name.
 *
 * @public
 */
export interface StorageProfileObject extends KubeObject {
  status?: {
    storageClass?: string;
    provisioner?: string;
    claimPropertySets?: Array<{
      volumeMode?: string;
      accessModes?: string[];
    }>;
  };
}

/**
 * The KubeVirt custom resource (`kubevirts.kubevirt.io`), reduced to its configuration.
 *
 * @public
 */
export interface KubevirtObject extends KubeObject {
  spec?: { configuration?: KubeVirtConfigurationLike };
}
