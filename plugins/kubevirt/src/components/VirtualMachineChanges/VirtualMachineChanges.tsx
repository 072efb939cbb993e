import { InfoCard, LinkButton, Progress } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import {
  VirtualMachineChangeKind,
  VirtualMachineView,
} from '@vmportal/plugin-kubevirt-common';
import {
  changeTemplatePath,
  CUSTOM_SIZE_TEMPLATE,
} from '../../lib/changeTemplates';

/** The changes a VM in the GitOps repository can be asked for, and their buttons. */
const CHANGES: ReadonlyArray<{
  kind: VirtualMachineChangeKind;
  label: string;
  permission: 'change' | 'decommission';
}> = [
  { kind: 'resize', label: 'Resize', permission: 'change' },
  { kind: 'add-disk', label: 'Add a disk', permission: 'change' },
  {
    kind: 'run-strategy',
    label: 'Change run strategy',
    permission: 'change',
  },
  { kind: 'decommission', label: 'Decommission', permission: 'decommission' },
];

function ChangeButton(props: {
  kind: VirtualMachineChangeKind;
  entityRef: string;
  template?: string;
  children: string;
}) {
  return (
    <LinkButton
      to={changeTemplatePath(props.kind, props.entityRef, props.template)}
      variant="outlined"
      size="small"
      color={props.kind === 'decommission' ? 'secondary' : 'default'}
    >
      {props.children}
    </LinkButton>
  );
}

/**
 * The VM page's "Changes" card: the day-2 changes (resize, add a disk, run strategy,
 * decommission) its owners can ask for by pull request, each a link to its software
 * template with the VM preselected; for a VM made by hand, "Adopt into GitOps".
 * Each shows only to users its permission allows.
 */
export function VirtualMachineChanges(props: {
  entityRef: string;
  view: VirtualMachineView;
}) {
  const { entityRef, view } = props;
  // The backend decides with the view, as for power actions: the same policy, for
  // this VM's entity, with the caller's credentials.
  const decided = view.changes;
  const change = { allowed: Boolean(decided?.change), loading: false };
  const decommission = {
    allowed: Boolean(decided?.decommission),
    loading: false,
  };
  const adopt = { allowed: Boolean(decided?.adopt), loading: false };
  // A VM made through the portal (or adopted) carries its request's id: the
  // repository holds it, so changes are edits of its file there.
  const inRepository = Boolean(view.requestId);
  const allowed = {
    change: change.allowed,
    decommission: decommission.allowed,
  };
  const offered = inRepository
    ? CHANGES.filter(c => allowed[c.permission])
    : [];
  const canAdopt = !inRepository && adopt.allowed;
  const loading = change.loading || decommission.loading || adopt.loading;

  return (
    <InfoCard title="Changes" subheader="By pull request">
      <Typography variant="body2" paragraph>
        {inRepository
          ? `Each change is a pull request to the GitOps repository: the owners of ${view.namespace} review it, and the VM changes only once they merge it.`
          : `This VM was not made through the portal, so the GitOps repository does not hold it. Adopting it adds its manifest by a pull request that the owners of ${view.namespace} review; after that, its changes are pull requests too.`}
      </Typography>
      {loading && <Progress />}
      {!loading && (offered.length > 0 || canAdopt) && (
        <Box display="flex" flexWrap="wrap" style={{ gap: 8 }}>
          {offered.map(c => (
            <ChangeButton
              key={c.kind}
              kind={c.kind}
              entityRef={entityRef}
              // A VM sized by its own vCPUs and memory is resized the same way.
              template={
                c.kind === 'resize' && !view.size.instancetype
                  ? CUSTOM_SIZE_TEMPLATE
                  : undefined
              }
            >
              {c.label}
            </ChangeButton>
          ))}
          {canAdopt && (
            <ChangeButton kind="adopt" entityRef={entityRef}>
              Adopt into GitOps
            </ChangeButton>
          )}
        </Box>
      )}
      {!loading && offered.length === 0 && !canAdopt && (
        <Typography variant="body2" color="textSecondary">
          Only the owners of this virtual machine can ask for changes to it.
        </Typography>
      )}
    </InfoCard>
  );
}
