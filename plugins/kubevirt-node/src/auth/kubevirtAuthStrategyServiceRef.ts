import { createServiceRef } from '@backstage/backend-plugin-api';
import type { KubevirtAuthStrategy } from './KubevirtAuthStrategy';

/**
 * An auth strategy for one `authProvider` value.
 *
 * @public
 */
export interface KubevirtAuthStrategyRegistration {
  /** The `authProvider` value it serves, e.g. `oidc`. */
  authProvider: string;
  strategy: KubevirtAuthStrategy;
}

/**
 * Where auth strategies beyond `serviceAccount` plug in. The cluster service is shared
 * by the catalog, scaffolder and kubevirt plugins, so it is root-scoped, and a
 * root-scoped service cannot see a plugin's extension point: strategies are provided
 * as this multiton service instead, one factory each:
 *
 * ```ts
 * backend.add(createServiceFactory({
 *   service: kubevirtAuthStrategyServiceRef,
 *   deps: {},
 *   factory: () => ({ authProvider: 'oidc', strategy: new MyOidcStrategy() }),
 * }));
 * ```
 *
 * @public
 */
export const kubevirtAuthStrategyServiceRef =
  createServiceRef<KubevirtAuthStrategyRegistration>({
    id: 'kubevirt.auth-strategy',
    scope: 'root',
    multiton: true,
  });
