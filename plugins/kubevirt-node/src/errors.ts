import { CustomErrorBase } from '@backstage/errors';

/**
 * The apiserver answered a request with an error status that has no more specific
 * error type (`NotAllowedError` for 403, `NotFoundError` for 404,
 * `AuthenticationError` for 401, {@link ResourceVersionExpiredError} for 410,
 * `ServiceUnavailableError` for 429, 5xx and an apiserver that cannot be reached).
 *
 * @public
 */
export class KubernetesApiError extends CustomErrorBase {
  name = 'KubernetesApiError' as const;

  constructor(
    message: string,
    /** The HTTP status code, or the `code` of a watch ERROR event's Status. */
    readonly statusCode: number,
    /** The Status `reason`, when the apiserver gave one. */
    readonly reason?: string,
  ) {
    super(message);
  }
}

/**
 * 410 Gone: the resourceVersion a watch or a paginated list resumed from is older than
 * what the apiserver still keeps (after a compaction or an apiserver restart). The
 * caller must list again and start a new watch from the new list's resourceVersion.
 *
 * @public
 */
export class ResourceVersionExpiredError extends CustomErrorBase {
  name = 'ResourceVersionExpiredError' as const;
}
