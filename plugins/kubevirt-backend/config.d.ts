export interface Config {
  kubevirt?: {
    permissions?: {
      /**
       * Service principals that may change VMs (power actions), by their subject as
       * Backstage names it: a static token's configured `subject` (e.g.
       * `vmportal-scripts`), a JWKS token's `external:<sub>`, another plugin's
       * `plugin:<pluginId>`. Everyone else but signed-in users is refused with 403.
       * Default: none.
       */
      servicePrincipalsAllowedToAct?: string[];
    };
  };
}
