/* eslint-disable no-control-regex -- refusing and stripping control characters is the point here */
import { InputError } from '@backstage/errors';
import { isChildPath } from '@backstage/backend-plugin-api';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Why `relative` is not a relative folder inside the workspace (empty and `.` are the
 * workspace itself), or undefined.
 */
export function relativeFolderProblem(relative: string): string | undefined {
  if (relative.length > 500) return 'is longer than 500 characters';
  if (/[\u0000-\u001f\u007f\\]/.test(relative)) {
    return "contains a control character or '\\'; use a relative folder with '/', e.g. . or gitops";
  }
  if (!/^[A-Za-z0-9._/-]*$/.test(relative)) {
    return "may only contain letters, digits, '.', '_', '-' and '/'; use a relative folder, e.g. . or gitops";
  }
  if (path.posix.isAbsolute(relative) || /^[A-Za-z]:/.test(relative)) {
    return 'is absolute; use a folder relative to the workspace, e.g. . or gitops';
  }
  if (relative.split('/').some(segment => segment === '..')) {
    return "leaves the workspace ('..'); use a folder inside it, e.g. . or gitops";
  }
  return undefined;
}

/**
 * Writes `files` (relative path → text) below `root`, which must be inside
 * `workspace`. Refuses, before writing anything, a path that would end outside the
 * workspace, also through a symlink an earlier step left there.
 */
export async function writeWorkspaceFiles(
  workspace: string,
  root: string,
  files: Record<string, string>,
): Promise<void> {
  await fs.mkdir(workspace, { recursive: true });
  const realWorkspace = await fs.realpath(workspace);
  const targets = Object.keys(files).map(relative => {
    const target = path.resolve(root, relative);
    if (!isChildPath(workspace, target)) {
      throw new InputError(
        `${relative} would be written outside the task workspace`,
      );
    }
    return [relative, target] as const;
  });
  for (const [relative, target] of targets) {
    const dir = path.dirname(target);
    await fs.mkdir(dir, { recursive: true });
    const realDir = await fs.realpath(dir);
    if (!isChildPath(realWorkspace, realDir)) {
      throw new InputError(
        `${relative} would be written outside the task workspace (through a symlink)`,
      );
    }
    const existing = await fs.lstat(target).catch(() => undefined);
    if (existing && !existing.isFile()) {
      throw new InputError(
        `${relative} exists in the workspace and is not a regular file`,
      );
    }
    await fs.writeFile(
      path.join(realDir, path.basename(target)),
      files[relative],
      'utf8',
    );
  }
}
