// The catalog module's own test harness, imported rather than copied so that the
// benchmark measures the catalog exactly as the module's tests run it. These helpers
// are test utilities of a publishable plugin (they need devDependencies and the
// private kube-testenv), so that package deliberately does not export them; this
// private, never-built package reads them from source. These are the only imports
// that reach into another package's folder.
/* eslint-disable @backstage/no-relative-monorepo-imports, no-restricted-imports */
export {
  clusterConfig,
  waitFor,
} from '../../../../plugins/catalog-backend-module-kubevirt/src/__testUtils__/catalogHarness';
export { CapturingLogger } from '../../../../plugins/catalog-backend-module-kubevirt/src/__testUtils__/capturingLogger';
export type { LogEntry } from '../../../../plugins/catalog-backend-module-kubevirt/src/__testUtils__/capturingLogger';
export { ManualScheduler } from '../../../../plugins/catalog-backend-module-kubevirt/src/__testUtils__/manualScheduler';
export { testVm } from '../../../../plugins/catalog-backend-module-kubevirt/src/__testUtils__/vms';
/* eslint-enable @backstage/no-relative-monorepo-imports, no-restricted-imports */
export { startTestPostgres } from '@vmportal/kube-testenv/testing';
export type { TestPostgres } from '@vmportal/kube-testenv/testing';
