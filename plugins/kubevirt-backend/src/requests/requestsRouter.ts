import type {
  AuthService,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  kubevirtRequestReadPermission,
  kubevirtVmRequestPermission,
  TrackedVirtualMachineRequest,
} from '@vmportal/plugin-kubevirt-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { parseWithSchema } from '../lib/parseWithSchema';
import type { PullRequestReader } from './PullRequestReader';
import type { RequestNotifier } from './RequestNotifier';
import { canSeeRequest, RequestViewer } from './requestVisibility';
import {
  groupRefSchema,
  normalizeEntityRef,
  userRefSchema,
  virtualMachineRequestRecordSchema,
} from './virtualMachineRequestRecordSchema';
import type { VirtualMachineRequestStore } from './VirtualMachineRequestStore';
import type { VirtualMachineRequestTracker } from './VirtualMachineRequestTracker';

/** The most requests one `GET /v1/requests` returns. */
export const MAX_PAGE_SIZE = 100;

/**
 * What the request routes need.
 *
 * @internal
 */
export interface RequestsRouterOptions {
  httpAuth: HttpAuthService;
  auth: AuthService;
  userInfo: UserInfoService;
  permissions: PermissionsService;
  store: VirtualMachineRequestStore;
  pullRequests: Pick<PullRequestReader, 'locate'>;
  notifier: RequestNotifier;
  logger: LoggerService;
  /** Service principals that may use these routes (`kubevirt.permissions`). */
  servicePrincipalsAllowedToAct: ReadonlySet<string>;
  /** `kubevirt.requests.policyMayWaiveMembership`. */
  policyMayWaiveMembership: boolean;
  /** Reads a request's sources when someone looks at it (`GET /v1/requests/:id`). */
  tracker?: Pick<VirtualMachineRequestTracker, 'refresh'>;
}

const ALLOW_KEY = 'kubevirt.permissions.servicePrincipalsAllowedToAct';

const listQuery = z.strictObject({
  owner: groupRefSchema.optional(),
  requestedBy: userRefSchema.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/**
 * The VM request routes, mounted by the plugin's router:
 * `POST /v1/requests` records a request whose pull request opened (a user, on whose
 * behalf the scaffolder calls); `GET /v1/requests` and `GET /v1/requests/:id` show the
 * requests the caller made or owns through a team, and nothing else.
 *
 * @internal
 */
export function createRequestsRouter(
  options: RequestsRouterOptions,
): express.Router {
  const { httpAuth, auth, userInfo, permissions, store, pullRequests } =
    options;
  // The plugin's router parses JSON bodies before these routes.
  const router = Router();

  /**
   * Who may see what: nobody the policy denies `kubevirt.request.read`; a user sees
   * their own and their teams' requests; a service principal the config names sees all
   * (`undefined`); any other caller is refused.
   */
  async function viewerOf(
    req: express.Request,
  ): Promise<RequestViewer | undefined> {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const [decision] = await permissions.authorize(
      [{ permission: kubevirtRequestReadPermission }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `The permission policy does not allow you to see VM requests (${kubevirtRequestReadPermission.name})`,
      );
    }
    if (auth.isPrincipal(credentials, 'service')) {
      const { subject } = credentials.principal;
      if (options.servicePrincipalsAllowedToAct.has(subject)) return undefined;
      throw new NotAllowedError(
        `Service principal '${subject}' may not read VM requests, which belong to the people who made them; a platform admin can allow it by adding '${subject}' to ${ALLOW_KEY}`,
      );
    }
    return viewerFromUser(credentials);
  }

  async function viewerFromUser(
    credentials: BackstageCredentials,
  ): Promise<RequestViewer> {
    const info = await userInfo.getUserInfo(credentials);
    const userEntityRef = normalizeEntityRef(info.userEntityRef, 'user');
    return {
      userEntityRef,
      ownershipEntityRefs: [
        ...new Set(
          [userEntityRef, ...info.ownershipEntityRefs].map(ref =>
            normalizeEntityRef(ref, 'group'),
          ),
        ),
      ],
    };
  }

  router.post('/v1/requests', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const record = parseWithSchema(
      virtualMachineRequestRecordSchema,
      req.body,
      'VM request record',
    );
    const pullRequest = pullRequests.locate(record.pullRequestUrl);
    const viewer = await viewerFromUser(credentials);
    if (!viewer.ownershipEntityRefs.includes(record.owner)) {
      const [decision] = await permissions.authorize(
        [{ permission: kubevirtVmRequestPermission }],
        { credentials },
      );
      if (
        !options.policyMayWaiveMembership ||
        decision.result !== AuthorizeResult.ALLOW
      ) {
        throw new NotAllowedError(
          `${viewer.userEntityRef} is not a member of ${record.owner}, and only its members may request VMs for it`,
        );
      }
    }
    const { request, created } = await store.add(
      { ...record, pullRequestNumber: pullRequest.number },
      viewer.userEntityRef,
      new Date(),
    );
    if (created) {
      options.logger.info(
        `Recorded VM request ${request.id} for ${request.namespace}/${request.name} on ${request.cluster}, ${request.pullRequest.url}`,
        { requestId: request.id, requestedBy: request.requestedBy },
      );
      await options.notifier.stageReached(request);
    }
    res.status(created ? 201 : 200).json(request);
  });

  router.get('/v1/requests', async (req, res) => {
    const viewer = await viewerOf(req);
    const query = parseWithSchema(listQuery, req.query, 'query');
    const items: TrackedVirtualMachineRequest[] = await store.list({
      viewer,
      ...query,
    });
    res.json({ items });
  });

  router.get('/v1/requests/:id', async (req, res) => {
    const viewer = await viewerOf(req);
    const request = await store.get(req.params.id);
    if (!request || (viewer && !canSeeRequest(viewer, request))) {
      throw new NotFoundError(`VM request '${req.params.id}' was not found`);
    }
    // Someone is looking: read its sources now rather than at the next scheduled
    // read (an open PR nobody watches is read less and less often).
    res.json(
      options.tracker ? await options.tracker.refresh(request) : request,
    );
  });

  return router;
}
