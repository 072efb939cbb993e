import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import Box from '@material-ui/core/Box';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import type {
  NamespaceQuotaSummary,
  QuotaUse,
} from '@vmportal/plugin-kubevirt-common';
import { useEffect } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import { formText, formValueAt } from '../../lib/formValues';
import { describeResource, formatQuantity } from '../../lib/quantity';
import { QuotaBar } from '../QuotaBar';

/**
 * `ui:options` of the `VirtualMachineNamespacePicker` field: where in the form it
 * finds the owner and the cluster.
 *
 * @public
 */
export type VirtualMachineNamespacePickerUiOptions = {
  /** Form field with the owning group's entity ref. Default `owner`. */
  ownerField?: string;
  /** Form field with the cluster's name. Default `cluster`. */
  clusterField?: string;
};

/** The quota row closest to full, which is what limits the next VM. */
function tightest(quotas: QuotaUse[]): QuotaUse | undefined {
  return [...quotas].sort((a, b) => b.fraction - a.fraction)[0];
}

/** `team-web · requests.memory: 6 GiB of 16 GiB used`, or `no quota`. */
export function namespaceLabel(summary: NamespaceQuotaSummary): string {
  const row = tightest(summary.quotas);
  if (!row) return `${summary.namespace} · no quota`;
  return `${summary.namespace} · ${describeResource(
    row.resource,
  )}: ${formatQuantity(row.used, row.resource)} of ${formatQuantity(
    row.hard,
    row.resource,
  )} used`;
}

/**
 * The `VirtualMachineNamespacePicker` scaffolder field: the namespaces the chosen
 * owner owns on the chosen cluster, each with how full its quota is.
 */
export function VirtualMachineNamespacePicker(
  props: FieldExtensionComponentProps<
    string,
    VirtualMachineNamespacePickerUiOptions
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
  const owner = formText(
    formValueAt(formContext?.formData, options?.ownerField ?? 'owner'),
  );
  const cluster = formText(
    formValueAt(formContext?.formData, options?.clusterField ?? 'cluster'),
  );
  const namespaces = useAsync(
    async () =>
      owner && cluster ? api.listOwnedNamespaces(cluster, owner) : undefined,
    [api, owner, cluster],
  );
  const list = namespaces.value;
  const chosen = list?.find(ns => ns.namespace === formData);
  const only = list?.length === 1 ? list[0].namespace : undefined;
  useEffect(() => {
    // The owner or cluster changed: a namespace of the old pair no longer applies.
    if (list && formData && !list.some(ns => ns.namespace === formData)) {
      onChange(only);
    } else if (list && !formData && only) {
      onChange(only);
    }
  }, [list, formData, only, onChange]);

  let helperText = schema.description;
  if (!owner || !cluster) {
    helperText = 'Choose the owning team and the cluster first.';
  }
  let ownerName = owner;
  try {
    ownerName = owner ? parseEntityRef(owner).name : owner;
  } catch {
    // shown as given
  }

  return (
    <Box mb={1}>
      <TextField
        id={idSchema?.$id}
        select
        fullWidth
        variant="outlined"
        margin="normal"
        label={schema.title ?? 'Namespace'}
        required={required}
        disabled={disabled || readonly || !list || list.length === 0}
        error={(rawErrors?.length ?? 0) > 0}
        value={formData ?? ''}
        onChange={event => onChange(event.target.value || undefined)}
        SelectProps={{ native: true }}
        InputLabelProps={{ shrink: true }}
        helperText={helperText}
      >
        <option value="">Choose a namespace</option>
        {(list ?? []).map(ns => (
          <option key={ns.namespace} value={ns.namespace}>
            {namespaceLabel(ns)}
          </option>
        ))}
      </TextField>
      {namespaces.loading && <Progress />}
      {namespaces.error && (
        <Alert severity="error">
          Could not list the namespaces of {owner} on {cluster}:{' '}
          {namespaces.error.message}
        </Alert>
      )}
      {list?.length === 0 && (
        <Alert severity="warning">
          {owner} owns no namespace on {cluster}. Ask the platform team to give
          it one (a namespace labelled vmportal.io/owner={ownerName}), or choose
          another cluster or team.
        </Alert>
      )}
      {chosen && chosen.quotas.length > 0 && (
        <Box component="section" aria-label={`Quota of ${chosen.namespace}`}>
          <Typography variant="subtitle2" gutterBottom>
            Quota of {chosen.namespace} now
          </Typography>
          {chosen.quotas.map(row => (
            <QuotaBar
              key={`${row.quotaKind ?? ''}/${row.quota}/${row.resource}`}
              resource={row.resource}
              quota={
                row.quotaKind ? `${row.quotaKind} ${row.quota}` : row.quota
              }
              hard={row.hard}
              used={row.used}
            />
          ))}
        </Box>
      )}
    </Box>
  );
}
