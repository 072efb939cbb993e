import type { MigrationStatus } from '@vmportal/plugin-kubevirt-common';

/** KubeVirt's migration phases after which nothing more happens. */
const ENDED_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

/** Whether a migration has ended, one way or the other. */
export function isMigrationEnded(migration: MigrationStatus): boolean {
  return ENDED_PHASES.has(migration.phase);
}
