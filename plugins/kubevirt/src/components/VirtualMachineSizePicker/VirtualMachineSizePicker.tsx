import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useEffect, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import { QuotaPlanBars } from '../QuotaBar';
import { planTarget, VirtualMachineSizePickerUiOptions } from './planTarget';
import { SizeSelect } from './SizeSelect';

function QuotaPlanView(props: {
  cluster: string;
  namespace: string;
  size: string;
  request: ReturnType<typeof planTarget>['request'];
}) {
  const { cluster, namespace, size, request } = props;
  const api = useApi(kubevirtApiRef);
  // The request is rebuilt on every render; compare it by value.
  const requestKey = JSON.stringify(request);
  const plan = useAsync(
    () => api.planRequest(cluster, namespace, JSON.parse(requestKey)),
    [api, cluster, namespace, requestKey],
  );
  if (plan.loading && !plan.value) {
    return <Progress />;
  }
  if (plan.error) {
    return (
      <Alert severity="warning">
        Could not check the quota of {namespace}: {plan.error.message}
      </Alert>
    );
  }
  if (!plan.value) {
    return null;
  }
  const { rows, fits, shortfalls, problems } = plan.value;
  return (
    <Box component="section" aria-label={`Quota of ${namespace} with ${size}`}>
      <Typography variant="subtitle2" gutterBottom>
        Quota of {namespace} on {cluster}: now → with this VM
      </Typography>
      {rows.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          No ResourceQuota applies in {namespace}.
        </Typography>
      )}
      <QuotaPlanBars rows={rows} />
      {fits ? (
        <Alert severity="success">
          {size} fits the quota of {namespace}.
        </Alert>
      ) : (
        <Alert severity="error">
          {size} does not fit the quota of {namespace}:{' '}
          {[...shortfalls, ...problems].join('; ')}
        </Alert>
      )}
    </Box>
  );
}

/**
 * The `VirtualMachineSizePicker` scaffolder field: the sizes (instancetypes) of the
 * chosen cluster, and what the chosen one does to the namespace's quota.
 */
export function VirtualMachineSizePicker(
  props: FieldExtensionComponentProps<
    string,
    VirtualMachineSizePickerUiOptions
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
  const { cluster, namespace, image, request } = planTarget(
    formContext?.formData,
    options,
    formData ?? '',
  );
  const sizes = useAsync(
    async () => (cluster ? api.listSizes(cluster) : undefined),
    [api, cluster],
  );
  const chosen = sizes.value?.find(size => size.name === formData);
  const label = schema.title ?? 'Size';
  const suggested = image?.defaultInstancetype;
  const suggestedSize = sizes.value?.find(size => size.name === suggested);
  // The image's default instancetype, once per image, while nothing is chosen.
  const [preselectedFor, setPreselectedFor] = useState<string>();
  useEffect(() => {
    if (suggestedSize && !formData && preselectedFor !== image?.title) {
      setPreselectedFor(image?.title);
      onChange(suggestedSize.name);
    }
  }, [suggestedSize, formData, preselectedFor, image?.title, onChange]);

  return (
    <Box mb={2}>
      <SizeSelect
        id={idSchema?.$id}
        label={label}
        sizes={cluster ? sizes.value : undefined}
        cluster={cluster}
        value={formData}
        onChange={onChange}
        notes={
          suggested ? { [suggested]: `(suggested for ${image?.title})` } : {}
        }
        required={required}
        disabled={disabled || readonly || !cluster}
        error={(rawErrors?.length ?? 0) > 0}
        helperText={
          cluster
            ? schema.description
            : 'Choose a cluster first: the sizes depend on it.'
        }
      />
      {sizes.loading && <Progress />}
      {sizes.error && (
        <Alert severity="error">
          Could not list the sizes on {cluster}: {sizes.error.message}
        </Alert>
      )}
      {chosen?.description && (
        <Typography variant="body2" color="textSecondary" gutterBottom>
          {chosen.description}
        </Typography>
      )}
      {cluster && namespace && formData && (
        <QuotaPlanView
          cluster={cluster}
          namespace={namespace}
          size={formData}
          request={request}
        />
      )}
      {cluster && !namespace && (
        <Typography variant="body2" color="textSecondary">
          Choose a namespace to see its quota.
        </Typography>
      )}
    </Box>
  );
}
