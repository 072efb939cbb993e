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
}

const KEY = 'kubevirt.permissions.servicePrincipalsAllowedToAct';

/**
 * Reads `kubevirt.permissions`; fails at start-up naming the key and the fix.
 *
 * @internal
 */
export function readKubevirtPermissionsConfig(
  config: Config,
): KubevirtPermissionsConfig {
  let subjects: string[];
  try {
    subjects = config.getOptionalStringArray(KEY) ?? [];
  } catch (error) {
    throw new InputError(
      `${KEY} must be a list of service principal subjects, e.g. [vmportal-scripts, plugin:scaffolder]; ${
        (error as Error).message
      }`,
    );
  }
  subjects.forEach((subject, index) => {
    if (!/^\S+$/.test(subject)) {
      throw new InputError(
        `${KEY}[${index}] '${subject}' is not a service principal subject; a subject is a set of non-space characters, e.g. vmportal-scripts or plugin:scaffolder`,
      );
    }
    if (subject.startsWith('user:')) {
      throw new InputError(
        `${KEY}[${index}] '${subject}' names a user; users act as the permission policy allows, so list only service principals here`,
      );
    }
  });
  return { servicePrincipalsAllowedToAct: new Set(subjects) };
}
