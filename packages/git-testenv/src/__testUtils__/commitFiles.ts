import { join } from 'node:path';
import { GitRepository } from '../git/GitRepository';

/**
 * Creates (or reuses) a bare repository under `dir` and commits exactly `files` to it,
 * on top of `parents` (none by default); returns the repository and the commit.
 */
export async function commitFiles(
  dir: string,
  files: Record<string, string>,
  parents: string[] = [],
): Promise<{ repoPath: string; sha: string }> {
  const repoPath = join(dir, 'repo.git');
  const { repository } = await GitRepository.openOrInit(repoPath, 'main');
  const tree = new Map<string, { mode: string; sha: string }>();
  for (const [path, content] of Object.entries(files)) {
    tree.set(path, {
      mode: '100644',
      sha: await repository.writeBlob(Buffer.from(content)),
    });
  }
  const who = {
    name: 'Test',
    email: 'test@example.com',
    date: new Date().toISOString(),
  };
  const sha = await repository.writeCommit({
    tree: await repository.writeFlatTree(tree),
    parents,
    author: who,
    committer: who,
    message: 'test\n',
  });
  return { repoPath, sha };
}
