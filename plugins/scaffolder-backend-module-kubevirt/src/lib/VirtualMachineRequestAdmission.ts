import type {
  BackstageCredentials,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { Entity, parseEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  kubevirtVmRequestPermission,
  VirtualMachineRequest,
  VirtualMachineRequestError,
  VirtualMachineRequestProblem,
} from '@vmportal/plugin-kubevirt-common';
import {
  KubevirtRequestsConfig,
  NAMESPACE_OWNER_LABEL as OWNER_LABEL,
  namespaceOwners,
  protectedNamespacePattern,
  readKubevirtRequestsConfig,
  sameEntityRef as sameRef,
} from '@vmportal/plugin-kubevirt-node';
import { imageHostProblems } from './imageHostProblems';

const TEAM_SLUG_ANNOTATION = 'github.com/team-slug';
const USER_LOGIN_ANNOTATION = 'github.com/user-login';

/**
 * Who reviews a request's pull request, as `publish:github:pull-request` takes them.
 *
 * @public
 */
export interface RequestReviewers {
  /** GitHub team slugs: the namespace's owning groups and the configured approver groups. */
  teamReviewers: string[];
  /** GitHub user logins: the configured approver users. */
  reviewers: string[];
}

/**
 * What {@link VirtualMachineRequestAdmission} needs.
 *
 * @public
 */
export interface VirtualMachineRequestAdmissionDeps {
  catalog: CatalogService;
  userInfo: UserInfoService;
  permissions: PermissionsService;
}

function refused(field: string, message: string): VirtualMachineRequestError {
  return new VirtualMachineRequestError([{ field, message }]);
}

function isUser(credentials: BackstageCredentials): boolean {
  const principal = credentials.principal as { type?: unknown } | undefined;
  return principal?.type === 'user';
}

/** A GitHub team slug or user login for an entity (or, not in the catalog, its ref). */
function githubName(ref: string, entity: Entity | undefined): string {
  const annotation =
    entity?.metadata.annotations?.[
      entity.kind.toLocaleLowerCase('en-US') === 'user'
        ? USER_LOGIN_ANNOTATION
        : TEAM_SLUG_ANNOTATION
    ];
  if (annotation) return annotation.slice(annotation.lastIndexOf('/') + 1);
  return entity?.metadata.name ?? parseEntityRef(ref).name;
}

/**
 * Decides whether a VM request may go ahead, before anything is read or written for
 * it, and who reviews it: the namespace must not be a protected one and must belong
 * to the request's owner (its `vmportal.io/owner` label, or
 * `kubevirt.requests.namespaceOwners`), the owner must be a Group in the catalog, the
 * requester a member of it (or allowed otherwise by the `kubevirt.vm.request`
 * permission where `kubevirt.requests.policyMayWaiveMembership` is set), and image
 * sources must not point inside the cluster. Reviewers are the namespace's owners and
 * `kubevirt.requests.approvers`, never the requester's choice.
 *
 * @public
 */
export class VirtualMachineRequestAdmission {
  /** Reads `kubevirt.requests` (failing at start-up on unusable values). */
  static fromConfig(
    config: Config,
    deps: VirtualMachineRequestAdmissionDeps,
  ): VirtualMachineRequestAdmission {
    return new VirtualMachineRequestAdmission(
      readKubevirtRequestsConfig(config),
      deps,
    );
  }

  private constructor(
    private readonly config: KubevirtRequestsConfig,
    private readonly deps: VirtualMachineRequestAdmissionDeps,
  ) {}

  /** What is wrong with the request without looking anything up: where it goes, what it downloads. */
  requestProblems(
    request: VirtualMachineRequest,
  ): VirtualMachineRequestProblem[] {
    const problems: VirtualMachineRequestProblem[] = [];
    const pattern = protectedNamespacePattern(this.config, request.namespace);
    if (pattern) {
      problems.push({
        field: 'namespace',
        message: `'${request.namespace}' is a protected namespace${
          pattern === request.namespace ? '' : ` (${pattern})`
        }, where the portal puts no VMs; choose your team's namespace`,
      });
    }
    problems.push(...imageHostProblems(request, this.config.allowedImageHosts));
    return problems;
  }

  /** The groups that own `namespace` on `cluster`: its label, and the config. */
  namespaceOwners(
    cluster: string,
    namespace: string,
    labels: Record<string, string> | undefined,
  ): string[] {
    return namespaceOwners(this.config, cluster, namespace, labels);
  }

  /**
   * Admits `request` into a namespace with `namespaceLabels` (undefined: the cluster
   * could not be read, so only the config says who owns it) for the task's initiator,
   * or throws a `VirtualMachineRequestError` naming the field and the fix. Returns
   * the pull request's reviewers.
   */
  async admit(options: {
    request: VirtualMachineRequest;
    namespaceLabels: Record<string, string> | undefined;
    credentials: BackstageCredentials;
    logger: LoggerService;
  }): Promise<RequestReviewers> {
    const { request, namespaceLabels, credentials, logger } = options;
    const { catalog } = this.deps;
    const where = `'${request.namespace}' on cluster ${request.cluster}`;

    const owners = this.namespaceOwners(
      request.cluster,
      request.namespace,
      namespaceLabels,
    );
    if (owners.length === 0) {
      throw refused(
        'namespace',
        namespaceLabels
          ? `${where} has no owner (no ${OWNER_LABEL} label, no kubevirt.requests.namespaceOwners entry), so nobody may request VMs in it; choose your team's namespace, or ask the platform team to label this one with its team`
          : `${where} cannot be read (the cluster is unreachable) and kubevirt.requests.namespaceOwners does not name its owner; try again when the cluster is reachable`,
      );
    }

    const group = await catalog.getEntityByRef(request.owner, { credentials });
    if (!group || group.kind.toLocaleLowerCase('en-US') !== 'group') {
      throw refused(
        'owner',
        `'${request.owner}' is not a Group in the catalog; choose your team as it is in the catalog, e.g. ${owners[0]}`,
      );
    }

    if (!owners.some(o => sameRef(o, request.owner))) {
      throw refused(
        'namespace',
        `${where} belongs to ${owners.join(' and ')}, not to the owner ${
          request.owner
        }; choose a namespace of ${
          request.owner
        }, or a team that owns this one`,
      );
    }

    await this.checkRequester(request.owner, credentials, logger);

    return this.reviewers([...owners, ...this.config.approvers], credentials);
  }

  /**
   * Who reviews a change to a VM in `namespace` (its owners and the configured
   * approvers); refused, naming the fix, when nobody owns the namespace.
   */
  async changeReviewers(options: {
    cluster: string;
    namespace: string;
    namespaceLabels: Record<string, string> | undefined;
    credentials: BackstageCredentials;
  }): Promise<RequestReviewers> {
    const { cluster, namespace, namespaceLabels, credentials } = options;
    const owners = this.namespaceOwners(cluster, namespace, namespaceLabels);
    if (owners.length === 0) {
      throw refused(
        'vm',
        `'${namespace}' on cluster ${cluster} has no owner (no ${OWNER_LABEL} label, no kubevirt.requests.namespaceOwners entry), so nobody can review changes to its VMs; ask the platform team to label it with its team`,
      );
    }
    return this.reviewers([...owners, ...this.config.approvers], credentials);
  }

  /** The requester is a member of `owner`, or the policy waives that explicitly. */
  private async checkRequester(
    owner: string,
    credentials: BackstageCredentials,
    logger: LoggerService,
  ): Promise<void> {
    let requester: string | undefined;
    if (isUser(credentials)) {
      const info = await this.deps.userInfo.getUserInfo(credentials);
      if (info.ownershipEntityRefs.some(ref => sameRef(ref, owner))) return;
      requester = info.userEntityRef;
    }
    if (this.config.policyMayWaiveMembership) {
      const [decision] = await this.deps.permissions.authorize(
        [{ permission: kubevirtVmRequestPermission }],
        { credentials },
      );
      if (decision.result === AuthorizeResult.ALLOW) {
        logger.info(
          `${
            requester ?? 'The task initiator'
          } is not a member of ${owner}; the permission policy allows kubevirt.vm.request, so the request goes ahead`,
        );
        return;
      }
    }
    throw refused(
      'owner',
      requester
        ? `${requester} is not a member of ${owner}, and only its members may request VMs for it; ask a member of ${owner} to make the request, or the platform team to add you to the team`
        : `the task was not started by a signed-in user, and only members of ${owner} may request VMs for it; run the template signed in as a member of ${owner}`,
    );
  }

  private async reviewers(
    refs: string[],
    credentials: BackstageCredentials,
  ): Promise<RequestReviewers> {
    const unique = [...new Set(refs)];
    const { items } = await this.deps.catalog.getEntitiesByRefs(
      { entityRefs: unique },
      { credentials },
    );
    const teamReviewers: string[] = [];
    const reviewers: string[] = [];
    unique.forEach((ref, index) => {
      const name = githubName(ref, items[index]);
      const list = ref.startsWith('user:') ? reviewers : teamReviewers;
      if (!list.includes(name)) list.push(name);
    });
    return { teamReviewers, reviewers };
  }
}
