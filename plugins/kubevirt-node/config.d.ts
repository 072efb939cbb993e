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
        /**
         * `serviceAccount`, or an `authProvider` with a strategy registered through
         * `kubevirtAuthStrategyServiceRef`.
         */
        authProvider: string;
        /**
         * The READER's token: list, watch and get only. The Kubernetes plugin and its
         * proxy use this same credential, so it must not be allowed to change anything
         * (see docs/security.md for its RBAC).
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
  kubevirt?: {
    /** Who may request a VM where, and who reviews it (both actions check before anything is written). */
    requests?: {
      /** Owning group (ref, or a name in the default namespace) per `<cluster>/<namespace>`, besides the namespace's vmportal.io/owner label; default none. */
      namespaceOwners?: { [clusterSlashNamespace: string]: string };
      /** Users or groups (entity refs) who review every request besides the namespace's owners; default none. */
      approvers?: string[];
      /** More namespaces (names or globs with `*`) no VM may be requested into, besides kube-*, default, vmportal-system, kubevirt, cdi and openshift-cnv; default none. */
      protectedNamespaces?: string[];
      /** Image hosts (names or IP addresses) allowed although loopback, link-local, unspecified or a cloud metadata service; default none. */
      allowedImageHosts?: string[];
      /** Let an ALLOW of the kubevirt.vm.request permission waive the requester's membership of the owning group (needs permission.enabled); default false. */
      policyMayWaiveMembership?: boolean;
      /** Namespaces whose CDI DataSources the request form offers as OS images (golden images); default kubevirt-os-images and openshift-virtualization-os-images. */
      osImageNamespaces?: string[];
      /** Instancetype series the request form offers first, the others behind "show all"; default u1 and o1 (general purpose). */
      offeredSeries?: string[];
    };
    /**
     * The KubeVirt plugins' own settings per cluster, keyed by the cluster's name in
     * `kubernetes.clusterLocatorMethods`.
     */
    clusters?: {
      [clusterName: string]: {
        /**
         * The ACTOR credential: KubeVirt's power subresources, run-strategy patches and
         * server-side dry-runs. Only the KubeVirt plugins read it, after their own
         * permission checks; no proxy carries it. Without it the cluster is read-only
         * in the portal.
         */
        actor?: {
          /** Default: serviceAccount. */
          authProvider?: string;
          /**
           * Token of the actor service account (see docs/security.md for its RBAC).
           * @visibility secret
           */
          serviceAccountToken?: string;
        };
      };
    };
  };
}
