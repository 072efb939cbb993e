import { Link } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import { pullRequestLabel } from '../../lib/requestStage';
import { requestRouteRef } from '../../routes';

/**
 * "Requested by … in PR #…" for a VM that came from a portal request, linking to
 * the request's page and its pull request. Nothing when the user may not see the
 * request, or it cannot be read: the VM page does not depend on it.
 */
export function VirtualMachineRequestLink(props: { requestId: string }) {
  const api = useApi(kubevirtApiRef);
  const requestLink = useRouteRef(requestRouteRef);
  const { value: request } = useAsync(
    () => api.getRequest(props.requestId),
    [api, props.requestId],
  );
  if (!request) {
    return null;
  }
  return (
    <Typography variant="body2">
      Requested by <EntityRefLink entityRef={request.requestedBy} /> in{' '}
      <Link to={request.pullRequest.url}>{pullRequestLabel(request)}</Link> (
      <Link to={requestLink({ id: request.id })}>see the request</Link>)
    </Typography>
  );
}
