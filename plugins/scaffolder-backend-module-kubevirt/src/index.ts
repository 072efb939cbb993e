/**
 * Scaffolder actions that plan a KubeVirt VM against its team's quota
 * (`kubevirt:vm:plan`) and render its manifests for a GitOps pull request
 * (`kubevirt:vm:render`).
 *
 * @packageDocumentation
 */

export { scaffolderModuleKubevirtActions as default } from './module';
export { createPlanVirtualMachineAction } from './actions/planVirtualMachine';
export type { PlanVirtualMachineActionOptions } from './actions/planVirtualMachine';
export { createRenderVirtualMachineAction } from './actions/renderVirtualMachine';
export type { RenderVirtualMachineActionOptions } from './actions/renderVirtualMachine';
export { readKubevirtGitopsConfig } from './lib/KubevirtGitopsConfig';
export type { KubevirtGitopsConfig } from './lib/KubevirtGitopsConfig';
export { readKubevirtRequestsConfig } from './lib/KubevirtRequestsConfig';
export type { KubevirtRequestsConfig } from './lib/KubevirtRequestsConfig';
export { VirtualMachineRequestAdmission } from './lib/VirtualMachineRequestAdmission';
export type {
  RequestReviewers,
  VirtualMachineRequestAdmissionDeps,
} from './lib/VirtualMachineRequestAdmission';
export type { QuotaPlanRowOutput } from './lib/quotaPlanReport';
