import type { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';

/**
 * The backend's own permission settings, read from `kubevirt.permissions`.
 *
 * @internal
 */
export interface KubevirtPermissionsConfig {
  /**
   * Subjects of the service principals that may change VMs. The permission framework
   * allows service principals without asking the policy, so the backend checks this
   * list itself.
   */
  servicePrincipalsAllowedToAct: ReadonlySet<string>;
  /**
   * Subjects of the service principals that may read the VM inventory in bulk (live
   * states of many VMs at once, the search by IP address). Users read it as the
   * policy's `kubevirt.vm.read` allows.
   */
  servicePrincipalsAllowedToReadInventory: ReadonlySet<string>;
}

const PREFIX = 'kubevirt.permissions';

/** The subjects under `kubevirt.permissions.<name>`; `InputError` naming the entry and the fix. */
function readSubjects(config: Config, name: string): Set<string> {
  const key = `${PREFIX}.${name}`;
  let subjects: string[];
  try {
    subjects = config.getOptionalStringArray(key) ?? [];
  } catch (error) {
    throw new InputError(
      `${key} must be a list of service principal subjects, e.g. [vmportal-scripts, plugin:scaffolder]; ${
        (error as Error).message
      }`,
    );
  }
  subjects.forEach((subject, index) => {
    if (!/^\S+$/.test(subject)) {
      throw new InputError(
        `${key}[${index}] '${subject}' is not a service principal subject; a subject is a set of non-space characters, e.g. vmportal-scripts or plugin:scaffolder`,
      );
    }
    if (subject.startsWith('user:')) {
      throw new InputError(
        `${key}[${index}] '${subject}' names a user; users act as the permission policy allows, so list only service principals here`,
      );
    }
  });
  return new Set(subjects);
}

/**
 * Reads `kubevirt.permissions`; fails at start-up naming the key and the fix.
 *
 * @internal
 */
export function readKubevirtPermissionsConfig(
  config: Config,
): KubevirtPermissionsConfig {
  return {
    servicePrincipalsAllowedToAct: readSubjects(
      config,
      'servicePrincipalsAllowedToAct',
    ),
    servicePrincipalsAllowedToReadInventory: readSubjects(
      config,
      'servicePrincipalsAllowedToReadInventory',
    ),
  };
}
