import { useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import type { VirtualMachineMigrationPlan } from '@vmportal/plugin-kubevirt-common';
import { kubevirtApiRef } from '../api/KubevirtApi';
import { isMigrationEnded } from '../lib/migrationPhase';
import { LiveValue, usePolledValue } from './usePolledValue';

/** How often the plan is read again while a migration is under way. */
export const MIGRATION_REFRESH_INTERVAL_MS = 2_000;

/** A VM's migration plan, kept fresh, and the start of a migration. */
export interface VirtualMachineMigrationState
  extends LiveValue<VirtualMachineMigrationPlan> {
  /** True from the click until the backend answered it. */
  starting: boolean;
  /** Why the migration did not start, in the backend's words. */
  startError?: Error;
  start(): Promise<void>;
}

/**
 * Whether the entity's VM can be live-migrated now, and its latest migration: read
 * again every two seconds while a migration is under way, and whenever the VM's
 * status or node changes or a migration was started.
 */
export function useVirtualMachineMigration(
  entityRef: string,
  vm: { printableStatus: string; node?: string },
): VirtualMachineMigrationState {
  const api = useApi(kubevirtApiRef);
  const [started, setStarted] = useState(0);
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<Error>();
  const live = usePolledValue(
    JSON.stringify([entityRef, vm.printableStatus, vm.node, started]),
    () => api.getMigrationPlan(entityRef),
    plan => !plan.latest || isMigrationEnded(plan.latest),
    MIGRATION_REFRESH_INTERVAL_MS,
  );

  const start = async () => {
    setStarting(true);
    setStartError(undefined);
    try {
      await api.startMigration(entityRef);
      setStarted(n => n + 1);
    } catch (error) {
      setStartError(error instanceof Error ? error : new Error(String(error)));
    } finally {
      setStarting(false);
    }
  };

  return { ...live, starting, startError, start };
}
