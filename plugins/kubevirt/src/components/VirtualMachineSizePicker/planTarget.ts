import type { QuotaPlanRequest } from '@vmportal/plugin-kubevirt-common';
import {
  formDiskSize,
  formText as text,
  formValueAt as valueAt,
} from '../../lib/formValues';
import {
  isImageChoice,
  VirtualMachineImageChoice,
} from '../VirtualMachineRequestFields/imageChoice';

/**
 * `ui:options` of the `VirtualMachineSizePicker` field: where in the form it finds
 * the cluster, the namespace and, optionally, the data disk's size.
 *
 * @public
 */
export type VirtualMachineSizePickerUiOptions = {
  /** Form field with the cluster's name (dots for nested fields). Default `cluster`. */
  clusterField?: string;
  /** Form field with the namespace. Default `namespace`. */
  namespaceField?: string;
  /**
   * Form field with the data disk's size, a quantity (`60Gi`) or a number of GiB;
   * when set, the quota plan counts the disk too.
   */
  diskSizeField?: string;
  /**
   * Form field of a `VirtualMachineImagePicker`: its default instancetype is
   * preselected, its preference and root disk are counted in the quota plan.
   */
  imageField?: string;
};

/** The cluster, namespace and plan request that a chosen size means in this form. */
export function planTarget(
  formData: unknown,
  options: VirtualMachineSizePickerUiOptions | undefined,
  instancetype: string,
): {
  cluster?: string;
  namespace?: string;
  image?: VirtualMachineImageChoice;
  request: QuotaPlanRequest;
} {
  const cluster = text(valueAt(formData, options?.clusterField ?? 'cluster'));
  const namespace = text(
    valueAt(formData, options?.namespaceField ?? 'namespace'),
  );
  const request: QuotaPlanRequest = { instancetype };
  if (options?.diskSizeField) {
    const size = formDiskSize(valueAt(formData, options.diskSizeField));
    if (size) {
      request.disks = [{ name: 'data', size }];
    }
  }
  const chosenImage = options?.imageField
    ? valueAt(formData, options.imageField)
    : undefined;
  const image = isImageChoice(chosenImage) ? chosenImage : undefined;
  if (image) {
    request.image = image.image;
    if (image.preference) request.preference = image.preference;
  }
  return { cluster, namespace, image, request };
}
