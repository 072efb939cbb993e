import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { humanizeEntityRef, useEntity } from '@backstage/plugin-catalog-react';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { useRouteRef } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import type { TrackedVirtualMachineRequest } from '@vmportal/plugin-kubevirt-common';
import { useTrackedRequests } from '../../hooks/useTrackedRequests';
import { formatAge } from '../../lib/format';
import { requestRouteRef, requestsRouteRef } from '../../routes';
import { VirtualMachineRequestStatus } from '../VirtualMachineRequestStatus';

/** How many requests the card lists; the page has them all. */
export const REQUESTS_CARD_LIMIT = 5;

function RequestItem(props: {
  request: TrackedVirtualMachineRequest;
  showRequester: boolean;
}) {
  const { request, showRequester } = props;
  const requestLink = useRouteRef(requestRouteRef);
  const where = `${request.cluster} / ${request.namespace}`;
  const by = showRequester
    ? ` · by ${humanizeEntityRef(parseEntityRef(request.requestedBy), {
        defaultKind: 'user',
      })}`
    : '';
  return (
    <ListItem disableGutters divider>
      <ListItemText
        primary={
          <Link to={requestLink({ id: request.id })}>{request.name}</Link>
        }
        secondary={`${where} · ${request.size} · ${formatAge(
          request.requestedAt,
          Date.now(),
        )}${by}`}
      />
      <Box ml={2} flexShrink={0}>
        <VirtualMachineRequestStatus request={request} />
      </Box>
    </ListItem>
  );
}

/**
 * A user's or a group's card: the VM requests the person made, or the team's, each
 * with its stage and a link to its page. Live.
 */
export function VirtualMachineRequestsCard() {
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const isGroup = entity.kind.toLocaleLowerCase('en-US') === 'group';
  const { value, error, loading } = useTrackedRequests(
    isGroup ? { owner: entityRef } : { requestedBy: entityRef },
  );
  const requestsLink = useRouteRef(requestsRouteRef);
  const shown = (value ?? []).slice(0, REQUESTS_CARD_LIMIT);
  return (
    <InfoCard
      title="VM requests"
      variant="gridItem"
      deepLink={{ title: 'All VM requests', link: requestsLink() }}
    >
      {loading && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {value && value.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          {isGroup
            ? 'The team has no VM requests.'
            : 'No VM requests by this person.'}
        </Typography>
      )}
      {shown.length > 0 && (
        <List dense disablePadding aria-label="VM requests">
          {shown.map(request => (
            <RequestItem
              key={request.id}
              request={request}
              showRequester={isGroup}
            />
          ))}
        </List>
      )}
      {value && value.length > shown.length && (
        <Typography variant="caption" color="textSecondary">
          {shown.length} of {value.length} shown.
        </Typography>
      )}
    </InfoCard>
  );
}
