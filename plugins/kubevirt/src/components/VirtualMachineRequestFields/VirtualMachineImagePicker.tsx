import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import Box from '@material-ui/core/Box';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { OsImage, Quantity } from '@vmportal/plugin-kubevirt-common';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import { formText, formValueAt } from '../../lib/formValues';
import {
  EphemeralImageOption,
  VirtualMachineImageChoice,
  VirtualMachineImagePickerUiOptions,
} from './imageChoice';

const GIB = 1024 ** 3;

/** The smallest whole GiB that holds `size` (a quantity); undefined when unknown. */
export function wholeGiB(size: string | undefined): number | undefined {
  const bytes = size ? Quantity.tryParse(size)?.toNumber() : undefined;
  return bytes === undefined ? undefined : Math.max(1, Math.ceil(bytes / GIB));
}

/** A golden image as the request takes it, its root disk `rootGiB` large. */
export function goldenImageChoice(
  image: OsImage,
  rootGiB: number,
): VirtualMachineImageChoice {
  return {
    image: {
      dataSource: { name: image.name, namespace: image.namespace },
      size: `${rootGiB}Gi`,
    },
    preference: image.defaultPreference ?? '',
    ...(image.defaultInstancetype && {
      defaultInstancetype: image.defaultInstancetype,
    }),
    title: image.title,
  };
}

function ephemeralChoice(
  option: EphemeralImageOption,
): VirtualMachineImageChoice {
  return {
    image: { containerDisk: { image: option.image } },
    preference: option.preference ?? '',
    title: `${option.title} (ephemeral)`,
  };
}

function optionValue(choice: VirtualMachineImageChoice | undefined): string {
  const image = choice?.image;
  if (!image) return '';
  if ('dataSource' in image)
    return `ds:${image.dataSource.namespace}/${image.dataSource.name}`;
  if ('containerDisk' in image) return `cd:${image.containerDisk.image}`;
  return '';
}

/**
 * The `VirtualMachineImagePicker` scaffolder field: the chosen cluster's golden images
 * (CDI DataSources, cloned into a persistent root disk sized from the source or
 * larger), and the template's container disks as an explicit ephemeral choice.
 */
export function VirtualMachineImagePicker(
  props: FieldExtensionComponentProps<
    VirtualMachineImageChoice,
    VirtualMachineImagePickerUiOptions
  >,
) {
  const {
    formData,
    onChange,
    uiSchema,
    formContext,
    rawErrors,
    required,
    schema,
    idSchema,
    disabled,
    readonly,
  } = props;
  const api = useApi(kubevirtApiRef);
  const options = uiSchema?.['ui:options'];
  const ephemeral = options?.ephemeralImages ?? [];
  const cluster = formText(
    formValueAt(formContext?.formData, options?.clusterField ?? 'cluster'),
  );
  const images = useAsync(
    async () => (cluster ? api.listOsImages(cluster) : undefined),
    [api, cluster],
  );
  const selected = optionValue(formData);
  const golden =
    formData?.image && 'dataSource' in formData.image
      ? images.value?.find(
          i =>
            formData.image &&
            'dataSource' in formData.image &&
            i.name === formData.image.dataSource.name &&
            i.namespace === formData.image.dataSource.namespace,
        )
      : undefined;
  const minimumGiB = wholeGiB(golden?.size);
  const rootGiB =
    formData?.image && 'dataSource' in formData.image
      ? wholeGiB(formData.image.size)
      : undefined;

  // What the person is typing, until it is a size the image fits in.
  const [rootText, setRootText] = useState<string>();
  const typed = rootText === undefined ? undefined : Number(rootText);
  const rootTooSmall =
    typed !== undefined &&
    !(Number.isInteger(typed) && typed >= (minimumGiB ?? 1));

  const choose = (value: string) => {
    setRootText(undefined);
    if (value.startsWith('ds:')) {
      const [namespace, name] = value.slice(3).split('/');
      const image = images.value?.find(
        i => i.namespace === namespace && i.name === name,
      );
      if (image) onChange(goldenImageChoice(image, wholeGiB(image.size) ?? 30));
      return;
    }
    const option = ephemeral.find(e => `cd:${e.image}` === value);
    onChange(option ? ephemeralChoice(option) : (undefined as any));
  };

  return (
    <Box mb={1}>
      <TextField
        id={idSchema?.$id}
        select
        fullWidth
        variant="outlined"
        margin="normal"
        label={schema.title ?? 'Operating system'}
        required={required}
        disabled={disabled || readonly || !cluster || images.loading}
        error={(rawErrors?.length ?? 0) > 0}
        value={selected}
        onChange={event => choose(event.target.value)}
        SelectProps={{ native: true }}
        InputLabelProps={{ shrink: true }}
        helperText={
          cluster
            ? schema.description
            : 'Choose a cluster first: its images are offered.'
        }
      >
        <option value="">Choose an operating system</option>
        {(images.value?.length ?? 0) > 0 && (
          <optgroup
            label={`Golden images on ${cluster} (persistent root disk)`}
          >
            {images.value!.map(image => (
              <option
                key={`${image.namespace}/${image.name}`}
                value={`ds:${image.namespace}/${image.name}`}
                disabled={!image.ready}
              >
                {image.title}
                {image.size ? ` · ${wholeGiB(image.size)} GiB` : ''}
                {image.ready ? '' : ` (not ready: ${image.notReadyReason})`}
              </option>
            ))}
          </optgroup>
        )}
        {ephemeral.length > 0 && (
          <optgroup label="Ephemeral root disk (reset at every restart)">
            {ephemeral.map(option => (
              <option key={option.image} value={`cd:${option.image}`}>
                {option.title} (ephemeral)
              </option>
            ))}
          </optgroup>
        )}
      </TextField>
      {images.loading && <Progress />}
      {images.error && (
        <Alert severity="error">
          Could not list the OS images on {cluster}: {images.error.message}
        </Alert>
      )}
      {cluster && images.value?.length === 0 && (
        <Alert severity="info">
          {cluster} publishes no golden images (DataSources in the OS image
          namespaces); only ephemeral root disks are offered.
        </Alert>
      )}
      {golden && formData && (
        <Box mt={1}>
          <TextField
            id={`${idSchema?.$id ?? 'os'}-root-disk-size`}
            type="number"
            variant="outlined"
            label="Root disk size (GiB)"
            value={rootText ?? rootGiB ?? ''}
            inputProps={{ min: minimumGiB ?? 1, step: 1 }}
            error={rootTooSmall}
            onChange={event => {
              setRootText(event.target.value);
              const gib = Number(event.target.value);
              if (Number.isInteger(gib) && gib >= (minimumGiB ?? 1)) {
                onChange(goldenImageChoice(golden, gib));
              }
            }}
            onBlur={() => setRootText(undefined)}
            helperText={
              rootTooSmall
                ? `The root disk must hold the image: give ${
                    minimumGiB ?? 1
                  } GiB or more (whole GiB); the request keeps ${rootGiB} GiB until then.`
                : `A persistent disk cloned from ${golden.namespace}/${
                    golden.name
                  }${
                    minimumGiB
                      ? `; at least ${minimumGiB} GiB, the image's size`
                      : ''
                  }. Counted in the quota below.`
            }
          />
          {golden.lastImported && (
            <Typography variant="body2" color="textSecondary">
              Image refreshed {new Date(golden.lastImported).toLocaleString()}
            </Typography>
          )}
        </Box>
      )}
      {formData?.image && 'containerDisk' in formData.image && (
        <Alert severity="warning">
          An ephemeral root disk starts from the image at every restart:
          software installed on it and files written to it are lost. Choose a
          golden image for a disk that keeps them.
        </Alert>
      )}
    </Box>
  );
}
