import type { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';
import type { HumanDuration } from '@backstage/types';

export interface Config {
  kubevirt?: {
    /** How the portal follows VM requests from their pull request to the catalog. */
    requestTracking?: {
      /**
       * How often the tracker reads the sources of unfinished requests (once across
       * replicas). Default: { frequency: { seconds: 3 }, timeout: { minutes: 1 } }.
       */
      schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      /**
       * Requests older than this are read only every `slowFrequency`.
       * Default: 7 days.
       */
      slowDownAfter?: HumanDuration | string;
      /** How often an old unfinished request is read. Default: 1 minute. */
      slowFrequency?: HumanDuration | string;
      /**
       * An open pull request that nobody is looking at is read every tenth of the
       * time it has waited for review, at most this far apart (GitHub's API is
       * rate-limited); opening the request's page reads it at once. Default: 2 minutes.
       */
      openPullRequestMaxInterval?: HumanDuration | string;
    };
    /** The VM page's serial console and VNC relay. */
    console?: {
      /**
       * A session with no byte either way for this long is closed (close code 4408).
       * Default: 15 minutes.
       */
      idleTimeout?: HumanDuration | string;
      /**
       * How often an open session asks the permission policy again
       * (`kubevirt.vm.console`); a denial closes it (4403). Default: 1 minute.
       */
      permissionRecheck?: HumanDuration | string;
    };
    permissions?: {
      /**
       * Service principals that may change VMs (power actions), by their subject as
       * Backstage names it: a static token's configured `subject` (e.g.
       * `vmportal-scripts`), a JWKS token's `external:<sub>`, another plugin's
       * `plugin:<pluginId>`. Everyone else but signed-in users is refused with 403.
       * The same list may read every VM request (`GET /v1/requests`); other service
       * principals may not. Default: none.
       */
      servicePrincipalsAllowedToAct?: string[];
      /**
       * Subjects of the service principals (e.g. `plugin:my-plugin`, or the subject of
       * a static token) that may read the VM inventory in bulk: the live states of many
       * VMs in one call (`POST /v1/inventory/states`) and the search by IP address
       * (`GET /v1/inventory/addresses`). Users read it as the policy's
       * `kubevirt.vm.read` allows, per VM. Default: none.
       */
      servicePrincipalsAllowedToReadInventory?: string[];
    };
  };
}
