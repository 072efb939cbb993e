import type { ReactNode } from 'react';
import {
  ContentHeader,
  EmptyState,
  InfoCard,
  Link,
  MarkdownContent,
  Progress,
  ResponseErrorPanel,
  StructuredMetadataTable,
  WarningPanel,
} from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import {
  EntityRefLink,
  useEntityRefLink,
} from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import Step from '@material-ui/core/Step';
import StepContent from '@material-ui/core/StepContent';
import StepLabel from '@material-ui/core/StepLabel';
import Stepper from '@material-ui/core/Stepper';
import Typography from '@material-ui/core/Typography';
import type {
  TrackedVirtualMachineRequest,
  VirtualMachineRequestStage,
} from '@vmportal/plugin-kubevirt-common';
import { useTrackedRequest } from '../../hooks/useTrackedRequests';
import { formatTimestamp } from '../../lib/format';
import {
  pullRequestLabel,
  REQUEST_STAGE_LABELS,
  stageReachedAt,
} from '../../lib/requestStage';
import { requestsRouteRef } from '../../routes';
import { VirtualMachineRequestStatus } from '../VirtualMachineRequestStatus';

/** A stage of the request as the timeline shows it. */
interface TimelineStep {
  stage: VirtualMachineRequestStage;
  /** When the stage was reached; undefined while it is ahead. */
  at?: string;
  /** The stage went wrong: declined, or the VM does not run. */
  error?: boolean;
  details: ReactNode;
}

function Time(props: { at: string }) {
  return <time dateTime={props.at}>{formatTimestamp(props.at)}</time>;
}

function PullRequestLink(props: { request: TrackedVirtualMachineRequest }) {
  return (
    <Link to={props.request.pullRequest.url}>
      {pullRequestLabel(props.request)}
    </Link>
  );
}

/** An entity ref as a catalog link; a GitHub login as text. */
function Reviewer(props: { reviewer: string }) {
  return /^[^:/\s]+:([^:/\s]+\/)?[^:/\s]+$/.test(props.reviewer) ? (
    <EntityRefLink entityRef={props.reviewer} />
  ) : (
    <>{props.reviewer}</>
  );
}

function Reviewers(props: { reviewers: string[] }) {
  if (props.reviewers.length === 0) {
    return <>no reviewers asked</>;
  }
  return (
    <>
      {props.reviewers.map((reviewer, index) => (
        <span key={reviewer}>
          {index > 0 && ', '}
          <Reviewer reviewer={reviewer} />
        </span>
      ))}
    </>
  );
}

function NotRunning(props: { request: TrackedVirtualMachineRequest }) {
  const vm = props.request.vm;
  const condition = vm?.failingCondition;
  return (
    <>
      <Typography variant="body2">
        Not running: {vm?.printableStatus ?? 'status unknown'}
      </Typography>
      {condition && (
        <Typography variant="body2" color="error">
          {condition.type}
          {condition.reason ? `: ${condition.reason}` : ''}
          {condition.message ? ` — ${condition.message}` : ''}
        </Typography>
      )}
    </>
  );
}

function InCatalog(props: { entityRef: string }) {
  const entityLink = useEntityRefLink();
  return (
    <Typography variant="body2">
      <Link to={`${entityLink(props.entityRef)}/virtual-machine`}>
        Open the VM page
      </Link>{' '}
      (<EntityRefLink entityRef={props.entityRef} hideIcon />)
    </Typography>
  );
}

function runningDetails(
  request: TrackedVirtualMachineRequest,
  running: boolean,
  applied: boolean,
): ReactNode {
  if (running) {
    return <Typography variant="body2">The VM is running.</Typography>;
  }
  if (applied) {
    return <NotRunning request={request} />;
  }
  return (
    <Typography variant="body2" color="textSecondary">
      The VM starts once it is applied.
    </Typography>
  );
}

/** What a screen reader says of a step: its stage, and whether it is done. */
function stepState(step: TimelineStep): string {
  if (step.error) {
    return 'failed';
  }
  return step.at ? 'reached' : 'not yet';
}

/** What the `applied` stage of a change says. */
function appliedText(
  request: TrackedVirtualMachineRequest,
  applied: boolean,
): string {
  if (request.change === 'decommission') {
    return applied
      ? `VirtualMachine ${request.name} and its disks are deleted from ${request.namespace} on ${request.cluster}.`
      : 'After the merge, the cluster deletes the VM and its disks.';
  }
  return applied
    ? `The cluster has the changed VirtualMachine ${request.name}.`
    : 'After the merge, the cluster applies the changed manifest.';
}

/** A day-2 change's steps after the merge: applied by the cluster, then in effect. */
function changeSteps(
  request: TrackedVirtualMachineRequest,
  prOpen: TimelineStep,
  merged: TimelineStep,
  at: (stage: VirtualMachineRequestStage) => string | undefined,
): TimelineStep[] {
  const applied = at('applied');
  const inEffect = at('in-effect');
  const decommission = request.change === 'decommission';
  const waiting = request.vm?.failingCondition;
  return [
    prOpen,
    merged,
    {
      stage: 'applied',
      at: applied,
      details: (
        <Typography
          variant="body2"
          color={applied ? 'initial' : 'textSecondary'}
        >
          {appliedText(request, Boolean(applied))}
        </Typography>
      ),
    },
    {
      stage: 'in-effect',
      at: inEffect,
      // A change waits for a restart or a live update: not an error.
      error: false,
      details: (
        <Typography
          variant="body2"
          color={inEffect ? 'initial' : 'textSecondary'}
        >
          {inEffect &&
            (decommission
              ? 'The VM has left the catalog.'
              : 'The VM runs with the change.')}
          {!inEffect &&
            waiting?.type === 'RestartRequired' &&
            `Restart required: ${
              waiting.message ??
              'the VM runs with its old settings until it restarts'
            }. Restart it from its page.`}
          {!inEffect &&
            waiting?.reason === 'LiveUpdatePending' &&
            `Live update under way: ${waiting.message}. Restart it from its page if it does not finish.`}
          {!inEffect &&
            !waiting &&
            (decommission
              ? 'The VM leaves the catalog once the catalog has read the cluster.'
              : 'KubeVirt makes the change on the VM.')}
        </Typography>
      ),
    },
  ];
}

function timelineSteps(request: TrackedVirtualMachineRequest): TimelineStep[] {
  const at = (stage: VirtualMachineRequestStage) =>
    stageReachedAt(request, stage);
  const prOpen: TimelineStep = {
    stage: 'pr-open',
    at: at('pr-open') ?? request.requestedAt,
    details: (
      <Typography variant="body2">
        <PullRequestLink request={request} /> asks{' '}
        <Reviewers reviewers={request.reviewers} /> to review.
      </Typography>
    ),
  };
  if (request.stage === 'declined') {
    return [
      prOpen,
      {
        stage: 'declined',
        at: at('declined'),
        error: true,
        details: (
          <Typography variant="body2">
            <PullRequestLink request={request} /> was closed without merging;
            nothing was applied.
          </Typography>
        ),
      },
    ];
  }
  const merged: TimelineStep = {
    stage: 'merged',
    at: at('merged'),
    details: at('merged') ? (
      <Typography variant="body2">
        <PullRequestLink request={request} /> was merged.
      </Typography>
    ) : (
      <Typography variant="body2" color="textSecondary">
        Waiting for a reviewer to merge <PullRequestLink request={request} />.
      </Typography>
    ),
  };
  if (request.change) return changeSteps(request, prOpen, merged, at);
  const applied = at('applied');
  const running = at('running');
  const inCatalog = at('in-catalog');
  return [
    prOpen,
    merged,
    {
      stage: 'applied',
      at: applied,
      details:
        applied && request.vm ? (
          <Typography variant="body2">
            The VirtualMachine exists in {request.namespace} on{' '}
            {request.cluster} (uid <code>{request.vm.uid}</code>).
          </Typography>
        ) : (
          <Typography variant="body2" color="textSecondary">
            {at('merged')
              ? 'Waiting for the cluster to apply the merged manifest.'
              : 'After the merge, the cluster applies the manifest.'}
          </Typography>
        ),
    },
    {
      stage: 'running',
      at: running,
      error: !running && Boolean(request.vm?.failingCondition),
      details: runningDetails(request, Boolean(running), Boolean(applied)),
    },
    {
      stage: 'in-catalog',
      at: inCatalog,
      details:
        inCatalog && request.entityRef ? (
          <InCatalog entityRef={request.entityRef} />
        ) : (
          <Typography variant="body2" color="textSecondary">
            The VM gets its page in the catalog once the catalog has read it.
          </Typography>
        ),
    },
  ];
}

function Timeline(props: { request: TrackedVirtualMachineRequest }) {
  const steps = timelineSteps(props.request);
  const next = steps.findIndex(step => !step.at);
  return (
    <Stepper
      orientation="vertical"
      nonLinear
      activeStep={next === -1 ? steps.length : next}
      aria-label="Stages of the request"
    >
      {steps.map(step => (
        <Step
          key={step.stage}
          completed={Boolean(step.at) && !step.error}
          expanded
          aria-label={`${REQUEST_STAGE_LABELS[step.stage]}: ${stepState(step)}`}
        >
          <StepLabel
            error={step.error}
            optional={
              step.at ? (
                <Typography variant="caption">
                  <Time at={step.at} />
                </Typography>
              ) : undefined
            }
          >
            {REQUEST_STAGE_LABELS[step.stage]}
          </StepLabel>
          <StepContent>{step.details}</StepContent>
        </Step>
      ))}
    </Stepper>
  );
}

function RequestDetails(props: { request: TrackedVirtualMachineRequest }) {
  const { request } = props;
  return (
    <Grid container spacing={3}>
      {request.lastError && (
        <Grid item xs={12}>
          <WarningPanel
            title="The portal could not check this request's progress"
            message={`${request.lastError}${
              request.checkedAt
                ? ` (last checked ${formatTimestamp(request.checkedAt)})`
                : ''
            }`}
          />
        </Grid>
      )}
      <Grid item xs={12} md={6}>
        <InfoCard title="Progress">
          <Timeline request={request} />
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={6}>
        <InfoCard title="Request">
          <StructuredMetadataTable
            options={{ titleFormat: key => key }}
            metadata={{
              Stage: <VirtualMachineRequestStatus request={request} />,
              'VM name': request.name,
              Cluster: request.cluster,
              Namespace: request.namespace,
              // A change request records what it changes where a new VM has its size.
              ...(request.change
                ? { Change: request.size }
                : { Size: request.size }),
              Owner: <EntityRefLink entityRef={request.owner} />,
              'Requested by': <EntityRefLink entityRef={request.requestedBy} />,
              Requested: <Time at={request.requestedAt} />,
              'Pull request': <PullRequestLink request={request} />,
            }}
          />
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <InfoCard title="Plan">
          <MarkdownContent content={request.planSummary} dialect="gfm" />
        </InfoCard>
      </Grid>
    </Grid>
  );
}

/**
 * One VM request's page: its stages as a timeline (PR, merge or decline, applied,
 * running or why not, in the catalog), what was asked and the plan. Live.
 */
export function VirtualMachineRequestPage(props: { id: string }) {
  const { value: request, error, loading } = useTrackedRequest(props.id);
  const requestsLink = useRouteRef(requestsRouteRef);
  const backLink = <Link to={requestsLink()}>All VM requests</Link>;

  if (loading) {
    return <Progress />;
  }
  if (!request) {
    return error ? (
      <ResponseErrorPanel error={error} />
    ) : (
      <EmptyState
        missing="data"
        title="No such request, or you may not see it"
        description={`The portal shows no VM request ${props.id} to you. It may not exist, or it belongs to a team you are not in.`}
        action={backLink}
      />
    );
  }
  return (
    <>
      <ContentHeader
        title={`${request.name} on ${request.cluster}`}
        description={`VM request ${request.id}`}
      >
        {backLink}
      </ContentHeader>
      {error && (
        <ResponseErrorPanel
          title={`The page could not refresh: ${error.message}`}
          error={error}
        />
      )}
      <RequestDetails request={request} />
    </>
  );
}
