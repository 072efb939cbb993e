/**
 * Scaffolder actions that plan a KubeVirt VM against its team's quota
 * (`kubevirt:vm:plan`), render its manifests for a GitOps pull request
 * (`kubevirt:vm:render`), change a VM by pull request (`kubevirt:vm:change`) and record the request so the portal follows it
 * (`kubevirt:vm:record-request`).
 *
 * @packageDocumentation
 */

export { scaffolderModuleKubevirtActions as default } from './module';
export { createChangeVirtualMachineAction } from './actions/changeVirtualMachine';
export type { ChangeVirtualMachineActionOptions } from './actions/changeVirtualMachine';
export { createPlanVirtualMachineAction } from './actions/planVirtualMachine';
export type { PlanVirtualMachineActionOptions } from './actions/planVirtualMachine';
export { createRecordVirtualMachineRequestAction } from './actions/recordVirtualMachineRequest';
export type { RecordVirtualMachineRequestActionOptions } from './actions/recordVirtualMachineRequest';
export { createRenderVirtualMachineAction } from './actions/renderVirtualMachine';
export type { RenderVirtualMachineActionOptions } from './actions/renderVirtualMachine';
export { readKubevirtGitopsConfig } from './lib/KubevirtGitopsConfig';
export type { KubevirtGitopsConfig } from './lib/KubevirtGitopsConfig';
export { VirtualMachineRequestAdmission } from './lib/VirtualMachineRequestAdmission';
export type {
  RequestReviewers,
  VirtualMachineRequestAdmissionDeps,
} from './lib/VirtualMachineRequestAdmission';
export type { QuotaPlanRowOutput } from './lib/quotaPlanReport';
