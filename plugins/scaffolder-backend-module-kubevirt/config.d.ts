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
  };
}
