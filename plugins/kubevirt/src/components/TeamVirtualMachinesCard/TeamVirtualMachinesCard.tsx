import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import type {
  QuotaUse,
  TeamQuotaSummary,
} from '@vmportal/plugin-kubevirt-common';
import useAsync from 'react-use/esm/useAsync';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import { QuotaBar } from '../QuotaBar';

/** At or above this share of a quota, its bar turns red. */
export const QUOTA_WARNING_FRACTION = 0.9;

function warning(use: QuotaUse): string | undefined {
  if (use.fraction >= 1) {
    return 'full';
  }
  return use.fraction >= QUOTA_WARNING_FRACTION ? 'nearly full' : undefined;
}

function Summary(props: { summary: TeamQuotaSummary }) {
  const { summary } = props;
  if (summary.vmCount === 0 && summary.namespaces.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        The team owns no virtual machines and no namespaces with a quota.
      </Typography>
    );
  }
  return (
    <>
      <Typography variant="h5" component="p">
        {summary.runningCount} of {summary.vmCount} running
      </Typography>
      <Typography variant="body2" color="textSecondary" gutterBottom>
        virtual machines owned by the team
      </Typography>
      {summary.namespaces.map(ns => (
        <Box
          key={`${ns.cluster}/${ns.namespace}`}
          mt={2}
          component="section"
          aria-label={`Quota of ${ns.namespace} on ${ns.cluster}`}
        >
          <Typography variant="subtitle2" gutterBottom>
            {ns.namespace} on {ns.cluster}
          </Typography>
          {ns.quotas.length === 0 && (
            <Typography variant="body2" color="textSecondary">
              No ResourceQuota in this namespace.
            </Typography>
          )}
          {ns.quotas.map(use => (
            <QuotaBar
              key={`${use.quota}/${use.resource}`}
              resource={use.resource}
              quota={
                ns.quotas.some(other => other.quota !== use.quota)
                  ? use.quota
                  : undefined
              }
              hard={use.hard}
              used={use.used}
              danger={warning(use)}
            />
          ))}
        </Box>
      ))}
    </>
  );
}

/**
 * A Group's card: how many of the team's VMs run, and how much of each namespace's
 * quota they use.
 */
export function TeamVirtualMachinesCard() {
  const { entity } = useEntity();
  const api = useApi(kubevirtApiRef);
  const entityRef = stringifyEntityRef(entity);
  const { value, loading, error } = useAsync(
    () => api.getTeamQuota(entityRef),
    [api, entityRef],
  );
  return (
    <InfoCard title="Virtual machines" variant="gridItem">
      {loading && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {value && <Summary summary={value} />}
    </InfoCard>
  );
}
