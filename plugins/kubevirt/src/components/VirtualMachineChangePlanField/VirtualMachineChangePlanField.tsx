import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  KUBEVIRT_ANNOTATIONS,
  KUBEVIRT_ENTITY_LABELS,
  VirtualMachineChange,
} from '@vmportal/plugin-kubevirt-common';
import { useCallback, useEffect } from 'react';
import useAsync from 'react-use/esm/useAsync';
import {
  kubevirtApiRef,
  VirtualMachineChangePlan,
} from '../../api/KubevirtApi';
import { SizeSelect } from '../VirtualMachineSizePicker/SizeSelect';
import {
  changeTarget,
  VirtualMachineChangePlanFieldUiOptions,
} from './changeTarget';
import { VirtualMachineChangePlanView } from './VirtualMachineChangePlanView';

type Props = FieldExtensionComponentProps<
  string,
  VirtualMachineChangePlanFieldUiOptions
>;

/** Plans `change` with the backend and shows the plan; `onPlan` hears each plan. */
function ChangePlan(props: {
  entityRef: string;
  change: VirtualMachineChange;
  onPlan?(plan: VirtualMachineChangePlan): void;
}) {
  const { entityRef, change, onPlan } = props;
  const api = useApi(kubevirtApiRef);
  // The change is rebuilt on every render; compare it by value.
  const changeKey = JSON.stringify(change);
  const plan = useAsync(
    () => api.planVirtualMachineChange(entityRef, JSON.parse(changeKey)),
    [api, entityRef, changeKey],
  );
  useEffect(() => {
    if (plan.value) onPlan?.(plan.value);
  }, [plan.value, onPlan]);
  if (plan.loading && !plan.value) {
    return <Progress />;
  }
  if (plan.error) {
    return (
      <Alert severity="error">
        Could not check this change: {plan.error.message}
      </Alert>
    );
  }
  return plan.value ? <VirtualMachineChangePlanView plan={plan.value} /> : null;
}

/** Resize: the VM's cluster's sizes, the current one marked, and the chosen one's plan. */
function ResizeChoice(props: Props & { entityRef: string }) {
  const { entityRef, formData, onChange, schema, required, rawErrors } = props;
  const catalogApi = useApi(catalogApiRef);
  const api = useApi(kubevirtApiRef);
  const entity = useAsync(
    () => catalogApi.getEntityByRef(entityRef),
    [catalogApi, entityRef],
  );
  const cluster =
    entity.value?.metadata.annotations?.[KUBEVIRT_ANNOTATIONS.cluster];
  const current =
    entity.value?.metadata.labels?.[KUBEVIRT_ENTITY_LABELS.instancetype];
  const sizes = useAsync(
    async () => (cluster ? api.listSizes(cluster) : undefined),
    [api, cluster],
  );
  if (entity.loading) {
    return <Progress />;
  }
  if (entity.error || !entity.value) {
    return (
      <Alert severity="error">
        Could not read {entityRef} from the catalog
        {entity.error
          ? `: ${entity.error.message}`
          : ': there is no such entity.'}
      </Alert>
    );
  }
  if (!cluster) {
    return (
      <Alert severity="error">
        {entityRef} is not a KubeVirt virtual machine: it has no{' '}
        {KUBEVIRT_ANNOTATIONS.cluster} annotation.
      </Alert>
    );
  }
  return (
    <>
      <SizeSelect
        id={props.idSchema?.$id}
        label={schema.title ?? 'New size'}
        sizes={sizes.value}
        cluster={cluster}
        value={formData}
        onChange={onChange}
        notes={current ? { [current]: '(now)' } : {}}
        required={required}
        disabled={props.disabled || props.readonly}
        error={(rawErrors?.length ?? 0) > 0}
        helperText={
          schema.description ??
          `The sizes of ${cluster}${current ? `; it is ${current} now` : ''}.`
        }
      />
      {sizes.loading && <Progress />}
      {sizes.error && (
        <Alert severity="error">
          Could not list the sizes on {cluster}: {sizes.error.message}
        </Alert>
      )}
      {formData && (
        <ChangePlan
          entityRef={entityRef}
          change={{ kind: 'resize', instancetype: formData }}
        />
      )}
    </>
  );
}

/**
 * The `VirtualMachineChangePlanField` scaffolder field of the change templates: for
 * `resize`, the new size from the VM's cluster's sizes; for `custom-size`, the vCPUs
 * and memory, and for `add-disk`, the disk, the form's other fields describe. Either way, what the change does to the namespace's
 * quota and when it takes effect, from the backend's change plan.
 */
export function VirtualMachineChangePlanField(props: Props) {
  const { formData, onChange, uiSchema, formContext } = props;
  const target = changeTarget(
    formContext?.formData,
    uiSchema?.['ui:options'],
    formData,
  );
  const { entityRef, change, kind } = target;
  // For a disk or a custom size the value only says the plan was made: the summary,
  // for the review.
  const onPlan = useCallback(
    (plan: VirtualMachineChangePlan) => {
      if (plan.summary !== formData) onChange(plan.summary);
    },
    [formData, onChange],
  );
  useEffect(() => {
    if (kind !== 'resize' && !change && formData) onChange(undefined);
  }, [kind, change, formData, onChange]);

  let body;
  if (target.misconfigured) {
    body = <Alert severity="error">{target.misconfigured}</Alert>;
  } else if (!entityRef) {
    body = (
      <Typography variant="body2" color="textSecondary">
        Choose the virtual machine first.
      </Typography>
    );
  } else if (kind === 'resize') {
    body = <ResizeChoice {...props} entityRef={entityRef} />;
  } else if (!change) {
    body = (
      <Typography variant="body2" color="textSecondary">
        {kind === 'add-disk'
          ? 'Give the disk a name and a size to see what it does to the quota.'
          : 'Give the vCPUs and the memory to see what they do to the quota.'}
      </Typography>
    );
  } else {
    body = <ChangePlan entityRef={entityRef} change={change} onPlan={onPlan} />;
  }
  return (
    <Box mb={2}>
      {kind !== 'resize' && props.schema.title && (
        <Typography variant="subtitle2">{props.schema.title}</Typography>
      )}
      {body}
    </Box>
  );
}
