import type { OsImageRequest } from '@vmportal/plugin-kubevirt-common';

/**
 * The value of the `VirtualMachineImagePicker` field: the request's OS disk and what
 * the image says about the VM (its preference and default size).
 *
 * @public
 */
export interface VirtualMachineImageChoice {
  /**
   * The request's `image`: a golden image (`dataSource` with the root disk's `size`)
   * or an ephemeral `containerDisk`.
   */
  image: OsImageRequest;
  /** The preference matched to the OS, e.g. `fedora`; '' when the image names none. */
  preference: string;
  /** The instancetype the image suggests, preselected by the size picker. */
  defaultInstancetype?: string;
  /** What people call it, e.g. `Fedora 41`. */
  title: string;
}

/**
 * A container disk offered as an ephemeral root disk (`ui:options.ephemeralImages`).
 *
 * @public
 */
export interface EphemeralImageOption {
  title: string;
  /** The container image, e.g. `quay.io/containerdisks/fedora:41`. */
  image: string;
  /** The preference matched to it, e.g. `fedora`. */
  preference?: string;
}

/**
 * `ui:options` of the `VirtualMachineImagePicker` field.
 *
 * @public
 */
export type VirtualMachineImagePickerUiOptions = {
  /** Form field with the cluster's name. Default `cluster`. */
  clusterField?: string;
  /** Container disks offered as an explicit "ephemeral root disk" choice. */
  ephemeralImages?: EphemeralImageOption[];
};

/** Whether `value` is an image choice (the form may hold anything). */
export function isImageChoice(
  value: unknown,
): value is VirtualMachineImageChoice {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as VirtualMachineImageChoice).image === 'object' &&
    (value as VirtualMachineImageChoice).image !== null
  );
}
