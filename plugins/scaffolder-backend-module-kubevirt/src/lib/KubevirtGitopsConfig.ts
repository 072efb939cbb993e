import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { visibleText } from '@vmportal/plugin-kubevirt-common';

/** Where a VM's files go in the GitOps repository unless configured otherwise. */
export const DEFAULT_PATH_TEMPLATE = 'clusters/{cluster}/{namespace}/{name}/';

/**
 * The GitOps repository layout `kubevirt:vm:render` writes for, from `kubevirt.gitops`.
 *
 * @public
 */
export interface KubevirtGitopsConfig {
  /** The repository in the scaffolder's repoUrl form (`host?owner=o&repo=r`), when configured. */
  repoUrl?: string;
  /** Folder of a VM's files, with `{cluster}`, `{namespace}` and `{name}`. */
  pathTemplate: string;
  /** Branch the pull requests target. */
  defaultBranch: string;
}

/**
 * Why `repoUrl` is not a repoUrl of the scaffolder's `host?owner=o&repo=r` form, or
 * undefined when it is one.
 */
export function repoUrlProblem(repoUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(`https://${repoUrl}`);
  } catch {
    return `'${visibleText(repoUrl)}' is not of the form host?owner=o&repo=r`;
  }
  if (repoUrl.includes('://') || url.pathname !== '/' || !url.host) {
    return `'${visibleText(
      repoUrl,
    )}' is not of the form host?owner=o&repo=r (no scheme, no path)`;
  }
  for (const param of ['owner', 'repo']) {
    const value = url.searchParams.get(param);
    if (!value || !/^[A-Za-z0-9._-]+$/.test(value)) {
      return `'${visibleText(
        repoUrl,
      )}' has no valid ${param}; write it as host?owner=o&repo=r`;
    }
  }
  return undefined;
}

/** Why a path template cannot be used, or undefined when it can. */
export function pathTemplateProblem(template: string): string | undefined {
  if (!/^[A-Za-z0-9._{}/-]+$/.test(template)) {
    return "may only contain letters, digits, '.', '_', '-', '/' and the placeholders {cluster}, {namespace} and {name}";
  }
  const unknown = template
    .match(/\{[^}]*\}/g)
    ?.find(p => !['{cluster}', '{namespace}', '{name}'].includes(p));
  if (unknown) return `has an unknown placeholder ${unknown}`;
  const missing = ['{cluster}', '{namespace}', '{name}'].filter(
    p => !template.includes(p),
  );
  if (missing.length > 0) {
    return `lacks ${missing.join(
      ', ',
    )}; without it two VMs would share a folder`;
  }
  if (
    template.startsWith('/') ||
    template.split('/').some(s => s === '.' || s === '..')
  ) {
    return 'must be a relative folder inside the repository (no leading /, no . or ..)';
  }
  return undefined;
}

/**
 * Reads `kubevirt.gitops`. Fails at start-up, naming the key and the fix, when a value
 * cannot be used.
 *
 * @public
 */
export function readKubevirtGitopsConfig(config: Config): KubevirtGitopsConfig {
  const gitops = config.getOptionalConfig('kubevirt.gitops');
  const repoUrl = gitops?.getOptionalString('repoUrl');
  if (repoUrl !== undefined) {
    const problem = repoUrlProblem(repoUrl);
    if (problem) {
      throw new InputError(
        `kubevirt.gitops.repoUrl ${problem}, e.g. github.com?owner=acme&repo=vm-gitops`,
      );
    }
  }
  const pathTemplate =
    gitops?.getOptionalString('pathTemplate') ?? DEFAULT_PATH_TEMPLATE;
  const pathProblem = pathTemplateProblem(pathTemplate);
  if (pathProblem) {
    throw new InputError(
      `kubevirt.gitops.pathTemplate '${visibleText(
        pathTemplate,
      )}' ${pathProblem}; the default is ${DEFAULT_PATH_TEMPLATE}`,
    );
  }
  const defaultBranch = gitops?.getOptionalString('defaultBranch') ?? 'main';
  if (
    !/^[A-Za-z0-9._/-]+$/.test(defaultBranch) ||
    defaultBranch.includes('..') ||
    defaultBranch.startsWith('/') ||
    defaultBranch.endsWith('/')
  ) {
    throw new InputError(
      `kubevirt.gitops.defaultBranch '${visibleText(
        defaultBranch,
      )}' is not a branch name; give one such as main`,
    );
  }
  return { repoUrl, pathTemplate, defaultBranch };
}
