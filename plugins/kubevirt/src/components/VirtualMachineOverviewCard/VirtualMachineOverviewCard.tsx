import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { useVirtualMachine } from '../../hooks/useVirtualMachine';
import { isVirtualMachineAvailable } from '../../lib/isVirtualMachineAvailable';
import { PowerControls } from '../PowerControls';
import { VirtualMachineFacts } from '../VirtualMachineFacts';
import { VirtualMachineRequestLink } from '../VirtualMachineRequestLink';

function OverviewBody(props: { entityRef: string }) {
  const { view, error, loading, pending, actionError, runAction } =
    useVirtualMachine(props.entityRef);
  if (loading && !view) {
    return <Progress />;
  }
  if (!view) {
    return error ? <ResponseErrorPanel error={error} /> : null;
  }
  return (
    <>
      {error && (
        <ResponseErrorPanel
          title={`Could not refresh: ${error.message}`}
          error={error}
        />
      )}
      <VirtualMachineFacts view={view} dense />
      {view.requestId && (
        <Box mt={1}>
          <VirtualMachineRequestLink requestId={view.requestId} />
        </Box>
      )}
      <Box mt={2}>
        <PowerControls
          view={view}
          pending={pending}
          actionError={actionError}
          onAction={(action, force) => {
            runAction(action, force);
          }}
        />
      </Box>
    </>
  );
}

/** The Overview tab's card for a `virtual-machine` Component: state, size and power. */
export function VirtualMachineOverviewCard() {
  const { entity } = useEntity();
  return (
    <InfoCard title="Virtual machine" variant="gridItem">
      {isVirtualMachineAvailable(entity) ? (
        <OverviewBody
          key={stringifyEntityRef(entity)}
          entityRef={stringifyEntityRef(entity)}
        />
      ) : (
        <Typography variant="body2" color="textSecondary">
          This entity does not name a KubeVirt virtual machine.
        </Typography>
      )}
    </InfoCard>
  );
}
