import type {
  AuthService,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';

/**
 * Why the caller may not do `what` whatever the permission policy says, or undefined:
 * the permission framework allows service principals without asking the policy, so
 * only those listed under the config `key` may. Signed-in users are left to the
 * policy.
 *
 * @internal
 */
export function servicePrincipalRefusal(
  auth: AuthService,
  credentials: BackstageCredentials,
  allowed: ReadonlySet<string>,
  options: { key: string; what: string },
): string | undefined {
  const { key, what } = options;
  if (auth.isPrincipal(credentials, 'user')) return undefined;
  if (auth.isPrincipal(credentials, 'service')) {
    const subject = credentials.principal.subject;
    if (allowed.has(subject)) return undefined;
    return `Service principal '${subject}' may not ${what}; a platform admin can allow it by adding '${subject}' to ${key}`;
  }
  return `Only signed-in users and the service principals listed in ${key} may ${what}`;
}
