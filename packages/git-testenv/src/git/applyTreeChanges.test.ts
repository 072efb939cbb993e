import {
  applyTreeChanges,
  FlatTreeEntry,
  isValidTreePath,
  TreeChangeError,
} from './applyTreeChanges';

const blob = (sha: string): FlatTreeEntry => ({ mode: '100644', sha });

describe('applyTreeChanges', () => {
  const base = new Map([
    ['README.md', blob('a')],
    ['clusters/dev/vm-1.yaml', blob('b')],
    ['clusters/dev/vm-2.yaml', blob('c')],
  ]);

  it('adds, replaces and deletes files on top of the base tree without changing it', () => {
    const result = applyTreeChanges(base, [
      { kind: 'set', path: 'clusters/dev/vm-1.yaml', mode: '100644', sha: 'd' },
      {
        kind: 'set',
        path: 'clusters/prod/vm-3.yaml',
        mode: '100755',
        sha: 'e',
      },
      { kind: 'delete', path: 'README.md' },
    ]);
    expect(Object.fromEntries(result)).toEqual({
      'clusters/dev/vm-1.yaml': blob('d'),
      'clusters/dev/vm-2.yaml': blob('c'),
      'clusters/prod/vm-3.yaml': { mode: '100755', sha: 'e' },
    });
    expect(base.size).toBe(3);
  });

  it('deletes a whole directory and replaces one with a subtree', () => {
    expect([
      ...applyTreeChanges(base, [{ kind: 'delete', path: 'clusters' }]).keys(),
    ]).toEqual(['README.md']);
    const replaced = applyTreeChanges(base, [
      {
        kind: 'subtree',
        path: 'clusters/dev',
        entries: new Map([['x.yaml', blob('f')]]),
      },
    ]);
    expect([...replaced.keys()].sort()).toEqual([
      'README.md',
      'clusters/dev/x.yaml',
    ]);
  });

  it('lets a file replace a directory and a directory replace a file', () => {
    const fileOverDir = applyTreeChanges(base, [
      { kind: 'set', path: 'clusters', mode: '100644', sha: 'g' },
    ]);
    expect([...fileOverDir.keys()].sort()).toEqual(['README.md', 'clusters']);
    const dirOverFile = applyTreeChanges(base, [
      { kind: 'set', path: 'README.md/inner', mode: '100644', sha: 'h' },
    ]);
    expect(dirOverFile.has('README.md')).toBe(false);
    expect(dirOverFile.get('README.md/inner')).toEqual(blob('h'));
  });

  it('refuses to delete a path that is not there, and paths that escape the tree', () => {
    expect(() =>
      applyTreeChanges(base, [{ kind: 'delete', path: 'nope.yaml' }]),
    ).toThrow(TreeChangeError);
    for (const path of [
      '',
      '/abs',
      'a//b',
      '../up',
      'a/./b',
      'dir/',
      '.git/config',
    ]) {
      expect(isValidTreePath(path)).toBe(false);
      expect(() =>
        applyTreeChanges(base, [
          { kind: 'set', path, mode: '100644', sha: 'x' },
        ]),
      ).toThrow(TreeChangeError);
    }
    expect(isValidTreePath('clusters/dev/.hidden.yaml')).toBe(true);
  });
});
