import { WarningPanel } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import type { VirtualMachineDiagnosis } from '@vmportal/plugin-kubevirt-common';

/** Causes where nothing is broken: the VM waits for its owner or for its disks. */
const INFORMATIONAL = new Set(['paused', 'import-waiting']);

/**
 * Why the VM is not running, in its owner's words: what is wrong, which object and
 * how much, what to do, and the condition or event it was read from.
 */
export function VirtualMachineDiagnosisPanel(props: {
  diagnosis: VirtualMachineDiagnosis;
}) {
  const { diagnosis } = props;
  const { evidence } = diagnosis;
  const said = [evidence.reason, evidence.message].filter(Boolean).join(': ');
  return (
    <section aria-label="Why is it not running?">
      <WarningPanel
        severity={INFORMATIONAL.has(diagnosis.cause) ? 'info' : 'warning'}
        title={diagnosis.title}
        message={diagnosis.detail}
        defaultExpanded
      >
        <Box>
          <Typography variant="body1" component="p">
            <strong>What to do:</strong> {diagnosis.fix}
          </Typography>
          <Typography variant="caption" color="textSecondary" component="p">
            From the {evidence.what} {evidence.name} of {evidence.object.kind}{' '}
            {evidence.object.name}
            {said ? ` — ${said}` : ''}
          </Typography>
        </Box>
      </WarningPanel>
    </section>
  );
}
