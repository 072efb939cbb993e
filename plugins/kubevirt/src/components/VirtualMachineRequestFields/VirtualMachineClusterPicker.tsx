import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import Box from '@material-ui/core/Box';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import { useEffect } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { kubevirtApiRef } from '../../api/KubevirtApi';

/**
 * The `VirtualMachineClusterPicker` scaffolder field: the clusters the portal's
 * backend is configured with (the only one preselected).
 */
export function VirtualMachineClusterPicker(
  props: FieldExtensionComponentProps<string>,
) {
  const {
    formData,
    onChange,
    rawErrors,
    required,
    schema,
    idSchema,
    disabled,
    readonly,
  } = props;
  const api = useApi(kubevirtApiRef);
  const clusters = useAsync(() => api.listClusters(), [api]);
  const only =
    clusters.value?.length === 1 ? clusters.value[0].name : undefined;
  useEffect(() => {
    if (!formData && only) onChange(only);
  }, [formData, only, onChange]);

  return (
    <Box mb={1}>
      <TextField
        id={idSchema?.$id}
        select
        fullWidth
        variant="outlined"
        margin="normal"
        label={schema.title ?? 'Cluster'}
        required={required}
        disabled={disabled || readonly || !clusters.value}
        error={(rawErrors?.length ?? 0) > 0}
        value={formData ?? ''}
        onChange={event => onChange(event.target.value || undefined)}
        SelectProps={{ native: true }}
        InputLabelProps={{ shrink: true }}
        helperText={schema.description}
      >
        <option value="">Choose a cluster</option>
        {(clusters.value ?? []).map(cluster => (
          <option key={cluster.name} value={cluster.name}>
            {cluster.title
              ? `${cluster.title} (${cluster.name})`
              : cluster.name}
          </option>
        ))}
      </TextField>
      {clusters.loading && <Progress />}
      {clusters.error && (
        <Alert severity="error">
          Could not list the clusters: {clusters.error.message}
        </Alert>
      )}
      {clusters.value?.length === 0 && (
        <Alert severity="warning">
          The portal has no KubeVirt cluster configured; ask the platform team.
        </Alert>
      )}
    </Box>
  );
}
