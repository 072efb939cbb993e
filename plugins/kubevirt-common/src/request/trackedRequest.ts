import type { VirtualMachineChangeKind } from '../change/virtualMachineChangeSchema';

/**
 * The stages of a VM request, in order. `declined` ends a request whose pull request
 * was closed without merging; every other request for a new VM goes `pr-open` →
 * `merged` → `applied` → `running` → `in-catalog`. A day-2 change goes `pr-open` →
 * `merged` → `applied` (the cluster has it; for a decommission, the VM is gone) →
 * `in-effect` (the running VM has it, or the VM is stopped; for a decommission, its
 * entity has left the catalog).
 *
 * @public
 */
export const VIRTUAL_MACHINE_REQUEST_STAGES = [
  'pr-open',
  'merged',
  'declined',
  'applied',
  'running',
  'in-catalog',
  'in-effect',
] as const;

/**
 * One stage of a VM request.
 *
 * @public
 */
export type VirtualMachineRequestStage =
  (typeof VIRTUAL_MACHINE_REQUEST_STAGES)[number];

/**
 * The annotation the rendered VirtualMachine carries with the id of the request that
 * created it (the scaffolder task's id), so the VM page can link back to the request.
 *
 * @public
 */
export const VIRTUAL_MACHINE_REQUEST_ID_ANNOTATION = 'vmportal.io/request-id';

/**
 * The annotation a VM's manifest carries with the id of the last change request that
 * changed it by pull request (the scaffolder task's id): once the cluster's VM has
 * it, the change is applied.
 *
 * @public
 */
export const VIRTUAL_MACHINE_CHANGE_ID_ANNOTATION = 'vmportal.io/change-id';

/**
 * What the scaffolder module records when a request's pull request opens (the body
 * of `POST /api/kubevirt/v1/requests`). The requester is the caller, never a field.
 *
 * @public
 */
export interface VirtualMachineRequestRecord {
  /** The scaffolder task's id; also in the VM's `vmportal.io/request-id` annotation. */
  id: string;
  /** The owning group's entity ref, e.g. `group:default/team-web`. */
  owner: string;
  cluster: string;
  namespace: string;
  name: string;
  /** The size as a person reads it, e.g. `u1.medium: 1 vCPU, 4 GiB`. */
  size: string;
  /** The plan's summary (Markdown, the quota table the PR body carries). */
  planSummary: string;
  /** The pull request's web URL, as `publish:github:pull-request` returned it. */
  pullRequestUrl: string;
  /** Users and teams asked to review, as entity refs or GitHub logins. */
  reviewers: string[];
  /** For a day-2 change to an existing VM, its kind; absent for a new VM. */
  change?: VirtualMachineChangeKind;
}

/**
 * Why a VM that was applied is not running: its status and the first condition that
 * is not as it should be (e.g. the launcher pod refused by quota).
 *
 * @public
 */
export interface VirtualMachineRequestVmState {
  uid: string;
  printableStatus?: string;
  failingCondition?: { type: string; reason?: string; message?: string };
}

/**
 * A tracked VM request as the portal shows it.
 *
 * @public
 */
export interface TrackedVirtualMachineRequest
  extends Omit<VirtualMachineRequestRecord, 'pullRequestUrl'> {
  /** The requester's user entity ref. */
  requestedBy: string;
  /** When the PR opened (ISO 8601). */
  requestedAt: string;
  pullRequest: { url: string; number?: number };
  stage: VirtualMachineRequestStage;
  /** When each stage reached so far was first seen (ISO 8601), in order. */
  history: Array<{ stage: VirtualMachineRequestStage; at: string }>;
  /** The VirtualMachine, once it exists in the cluster. */
  vm?: VirtualMachineRequestVmState;
  /** The VM's Component, once it is in the catalog. */
  entityRef?: string;
  /** The last time the tracker read the request's sources (ISO 8601). */
  checkedAt?: string;
  /** Why the last read of a source failed, if it did (nothing secret). */
  lastError?: string;
}
