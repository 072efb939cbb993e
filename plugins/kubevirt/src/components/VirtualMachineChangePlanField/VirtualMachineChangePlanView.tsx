import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import type { VirtualMachineChangePlan } from '../../api/KubevirtApi';
import { QuotaPlanBars } from '../QuotaBar';
import { changePlanProblems, TAKES_EFFECT } from './changePlanText';

/**
 * A change's plan: what changes, when it takes effect, each quota with what the
 * change adds, and why it cannot be asked for or what to know about it.
 */
export function VirtualMachineChangePlanView(props: {
  plan: VirtualMachineChangePlan;
}) {
  const { plan } = props;
  const { namespace, cluster } = plan.vm;
  const problems = changePlanProblems(plan);
  return (
    <Box component="section" aria-label="Change plan" mt={1}>
      <Typography variant="subtitle1">{plan.summary}</Typography>
      <Typography variant="body2" color="textSecondary" paragraph>
        {TAKES_EFFECT[plan.takesEffect]}
      </Typography>
      <Typography variant="subtitle2" gutterBottom>
        Quota of {namespace} on {cluster}: now → with this change
      </Typography>
      {plan.quota.rows.length === 0 && (
        <Typography variant="body2" color="textSecondary" paragraph>
          No ResourceQuota applies in {namespace}.
        </Typography>
      )}
      <QuotaPlanBars rows={plan.quota.rows} showAdded />
      {plan.fits ? (
        <Alert severity="success">
          This change fits the quota of {namespace}.
        </Alert>
      ) : (
        <Alert severity="error">
          This change cannot be asked for: {problems.join('; ')}
        </Alert>
      )}
      {plan.notes.map(note => (
        <Box key={note} mt={1}>
          <Alert severity="info">{note}</Alert>
        </Box>
      ))}
    </Box>
  );
}
