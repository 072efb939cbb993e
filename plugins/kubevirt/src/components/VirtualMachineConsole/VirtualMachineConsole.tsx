import { lazy, Suspense, useState } from 'react';
import { Progress } from '@backstage/core-components';
import Accordion from '@material-ui/core/Accordion';
import AccordionDetails from '@material-ui/core/AccordionDetails';
import AccordionSummary from '@material-ui/core/AccordionSummary';
import Box from '@material-ui/core/Box';
import Tab from '@material-ui/core/Tab';
import Tabs from '@material-ui/core/Tabs';
import Typography from '@material-ui/core/Typography';
import ExpandMoreIcon from '@material-ui/icons/ExpandMore';
import type { VirtualMachineConsoleType } from '../../api/KubevirtApi';

// xterm.js and noVNC load with the console, not with the VM page.
const SerialConsole = lazy(() =>
  import('./SerialConsole').then(m => ({ default: m.SerialConsole })),
);
const VncConsole = lazy(() =>
  import('./VncConsole').then(m => ({ default: m.VncConsole })),
);

/**
 * The VM page's "Console": the guest's serial console in a terminal, or its display
 * over VNC. Closed until the user opens it, since a console is a session on the
 * guest (KubeVirt gives a serial console to one viewer at a time); closing it, or
 * switching between the two, ends the session.
 */
export function VirtualMachineConsole(props: {
  entityRef: string;
  vmName: string;
}) {
  const { entityRef, vmName } = props;
  const [type, setType] = useState<VirtualMachineConsoleType>('serial');
  return (
    <Accordion TransitionProps={{ unmountOnExit: true }}>
      <AccordionSummary
        expandIcon={<ExpandMoreIcon />}
        aria-controls="kubevirt-vm-console"
        id="kubevirt-vm-console-header"
      >
        <Typography variant="h6">Console</Typography>
      </AccordionSummary>
      <AccordionDetails id="kubevirt-vm-console">
        <Box width="100%">
          <Tabs
            value={type}
            onChange={(_event, next: VirtualMachineConsoleType) =>
              setType(next)
            }
            indicatorColor="primary"
            aria-label="Console type"
          >
            <Tab value="serial" label="Serial console" />
            <Tab value="vnc" label="VNC" />
          </Tabs>
          <Box mt={2}>
            <Suspense fallback={<Progress />}>
              {type === 'serial' ? (
                <SerialConsole entityRef={entityRef} vmName={vmName} />
              ) : (
                <VncConsole entityRef={entityRef} vmName={vmName} />
              )}
            </Suspense>
          </Box>
        </Box>
      </AccordionDetails>
    </Accordion>
  );
}
