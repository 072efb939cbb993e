import { InputError } from '@backstage/errors';
import type {
  KubevirtAuthStrategy,
  KubevirtCredential,
  KubevirtCredentialConfig,
} from './KubevirtAuthStrategy';

/**
 * `authProvider: serviceAccount`: a bearer token from the config
 * (`serviceAccountToken`), as the Kubernetes plugin reads it.
 *
 * @public
 */
export class ServiceAccountStrategy implements KubevirtAuthStrategy {
  async getCredential(
    credential: KubevirtCredentialConfig,
  ): Promise<KubevirtCredential> {
    return {
      type: 'bearer token',
      token: credential.config.getString('serviceAccountToken'),
    };
  }

  validate(credential: KubevirtCredentialConfig): Error[] {
    if (credential.config.getOptionalString('serviceAccountToken')) return [];
    return [
      new InputError(
        `${credential.key}.serviceAccountToken is missing on cluster '${credential.cluster}'; set it to the token of a service account with the RBAC in docs/security.md`,
      ),
    ];
  }
}
