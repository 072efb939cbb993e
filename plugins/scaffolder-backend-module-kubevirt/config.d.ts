export interface Config {
  kubevirt?: {
    /** Where `kubevirt:vm:render` puts a requested VM's manifests for review. */
    gitops?: {
      /** GitOps repository in the scaffolder's repoUrl form `host?owner=o&repo=r`; no default (required by kubevirt:vm:render unless its input gives one). */
      repoUrl?: string;
      /** Folder of each VM's files, with {cluster}, {namespace} and {name}; default `clusters/{cluster}/{namespace}/{name}/`. */
      pathTemplate?: string;
      /** Branch the pull requests target; default `main`. */
      defaultBranch?: string;
    };
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
    };
  };
}
