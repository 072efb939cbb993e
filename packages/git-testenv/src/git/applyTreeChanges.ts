/*
 * The path arithmetic behind GitHub's "create a tree" with a base tree, on a flat
 * path -> entry map (the shape `git ls-tree -r` prints and `git update-index` reads).
 */

/** A non-tree entry of a flattened tree: a blob (file, symlink) or a gitlink. @internal */
export interface FlatTreeEntry {
  mode: string;
  sha: string;
}

/** One entry of a create-tree request, after blobs have been written. @internal */
export type TreeChange =
  | { kind: 'set'; path: string; mode: string; sha: string }
  | { kind: 'delete'; path: string }
  | { kind: 'subtree'; path: string; entries: Map<string, FlatTreeEntry> };

/** A change that cannot be applied to the base tree. @internal */
export class TreeChangeError extends Error {}

function removePath(tree: Map<string, FlatTreeEntry>, path: string): boolean {
  let removed = tree.delete(path);
  const prefix = `${path}/`;
  for (const key of [...tree.keys()]) {
    if (key.startsWith(prefix)) {
      tree.delete(key);
      removed = true;
    }
  }
  return removed;
}

// A file at "a" and a file at "a/b" cannot both exist: the newer entry wins, as in git.
function removeAncestorFiles(tree: Map<string, FlatTreeEntry>, path: string) {
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++) {
    tree.delete(parts.slice(0, i).join('/'));
  }
}

/**
 * Checks that a tree entry path is relative, normalised and has no empty segments.
 *
 * @internal
 */
export function isValidTreePath(path: string): boolean {
  if (!path || path.startsWith('/') || path.endsWith('/')) {
    return false;
  }
  return path
    .split('/')
    .every(
      part => part !== '' && part !== '.' && part !== '..' && part !== '.git',
    );
}

/**
 * Applies create-tree changes, in order, to a copy of a flattened base tree.
 * Deleting a path that does not exist is an error, as it is on GitHub.
 *
 * @internal
 */
export function applyTreeChanges(
  base: ReadonlyMap<string, FlatTreeEntry>,
  changes: TreeChange[],
): Map<string, FlatTreeEntry> {
  const tree = new Map(base);
  for (const change of changes) {
    if (!isValidTreePath(change.path)) {
      throw new TreeChangeError(`Invalid tree path '${change.path}'`);
    }
    switch (change.kind) {
      case 'delete':
        if (!removePath(tree, change.path)) {
          throw new TreeChangeError(
            `Cannot delete '${change.path}': no such path in the base tree`,
          );
        }
        break;
      case 'set':
        removePath(tree, change.path);
        removeAncestorFiles(tree, change.path);
        tree.set(change.path, { mode: change.mode, sha: change.sha });
        break;
      case 'subtree':
        removePath(tree, change.path);
        removeAncestorFiles(tree, change.path);
        for (const [subPath, entry] of change.entries) {
          tree.set(`${change.path}/${subPath}`, entry);
        }
        break;
      default:
        throw new TreeChangeError('Unknown tree change');
    }
  }
  return tree;
}
