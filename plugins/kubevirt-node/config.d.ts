export interface Config {
  /**
   * The KubeVirt plugins read their clusters from the Kubernetes plugin's config
   * (type `config`); the fields they use are declared here so that the secrets stay
   * secret even when the Kubernetes backend is not installed.
   */
  kubernetes?: {
    clusterLocatorMethods?: Array<{
      /** `config` clusters are the ones the KubeVirt plugins use. */
      type: string;
      clusters?: Array<{
        /** Unique cluster name. */
        name: string;
        /** The apiserver URL. */
        url: string;
        /** Only `serviceAccount` is supported by the KubeVirt plugins. */
        authProvider: string;
        /**
         * Token of the service account the portal acts as.
         * @visibility secret
         */
        serviceAccountToken?: string;
        /**
         * Base64 PEM of the apiserver's CA.
         * @visibility secret
         */
        caData?: string;
        /** Skip TLS verification. Default: false. */
        skipTLSVerify?: boolean;
        /** Display title. Default: the name. */
        title?: string;
      }>;
    }>;
  };
}
