import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../lib/startPortal';

/**
 * One install step as a README gives it: a fenced code block that the README marks for
 * the install test with an HTML comment before it (invisible when the README is
 * rendered), e.g.
 *
 *     <!-- install-test: run -->
 *
 *     ```sh
 *     yarn --cwd packages/backend add @vmportal/plugin-kubevirt-backend
 *     ```
 *
 * - `run`: the block's `yarn` command lines, run in the app's root (lines for other
 *   package managers are alternatives and are skipped);
 * - `add to <file>`: the block's code lines that `<file>` lacks are added to it;
 * - `merge into <file>`: the block (YAML) is merged into `<file>`: maps key by key,
 *   lists by adding the items they lack.
 */
export interface InstallStep {
  action: 'run' | 'add' | 'merge';
  /** The app's file that `add` and `merge` change, relative to its root. */
  file?: string;
  /** The block's text, exactly as the README has it. */
  text: string;
  /** Where it is, e.g. `plugins/kubevirt/README.md:53`, for messages. */
  source: string;
}

const MARKER = /^<!--\s*install-test:\s*(.*?)\s*-->\s*$/;

/** The documents that hold install steps, in the order a platform engineer reads them. */
export function installDocuments(): string[] {
  const readmes = (parent: string) =>
    readdirSync(join(repoRoot, parent))
      .sort()
      .map(name => join(repoRoot, parent, name, 'README.md'))
      .filter(file => existsSync(file));
  return [
    join(repoRoot, 'docs', 'install.md'),
    ...readmes('plugins'),
    ...readmes('templates'),
  ];
}

/** The marked steps of one document; fails naming the line of a malformed marker. */
export function readInstallSteps(file: string): InstallStep[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const steps: InstallStep[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i]);
    if (!marker) continue;
    const source = `${relative(repoRoot, file)}:${i + 1}`;
    const [, action, target] =
      /^(run|add to|merge into)(?:\s+(\S+))?$/.exec(marker[1]) ?? [];
    if (!action || (action === 'run') !== (target === undefined)) {
      throw new Error(
        `${source}: "${marker[1]}" is not an install-test marker; write "install-test: run", "install-test: add to <file>" or "install-test: merge into <file>"`,
      );
    }
    // The block may follow after blank lines (prettier puts one after the comment).
    let start = i + 1;
    while (lines[start]?.trim() === '') start++;
    if (!(lines[start] ?? '').startsWith('```')) {
      throw new Error(
        `${source}: an install-test marker must be followed by a fenced code block`,
      );
    }
    const end = lines.findIndex((line, j) => j > start && line === '```');
    if (end === -1) throw new Error(`${source}: the code block does not end`);
    steps.push({
      action: action === 'run' ? 'run' : action === 'add to' ? 'add' : 'merge',
      file: target,
      text: lines.slice(start + 1, end).join('\n'),
      source,
    });
    i = end;
  }
  return steps;
}

/**
 * Every marked step of the READMEs. Fails when a package the app installs (a plugin
 * with a backend or frontend role) has no marked `run` step, and when docs/install.md
 * (which says its snippets are copied from the READMEs) no longer holds a README's step
 * word for word.
 */
export function readmeInstallSteps(): InstallStep[] {
  const guide = join(repoRoot, 'docs', 'install.md');
  const guideText = readFileSync(guide, 'utf8');
  const steps: InstallStep[] = [];
  for (const file of installDocuments()) {
    const own = readInstallSteps(file);
    if (file !== guide) {
      for (const step of own) {
        if (!guideText.includes(step.text)) {
          throw new Error(
            `docs/install.md does not have the step of ${step.source} word for word; copy it there again:\n${step.text}`,
          );
        }
      }
    }
    const packageJson = join(file, '..', 'package.json');
    if (existsSync(packageJson)) {
      const role = (
        JSON.parse(readFileSync(packageJson, 'utf8')) as {
          backstage?: { role?: string };
        }
      ).backstage?.role;
      const installable = [
        'frontend-plugin',
        'backend-plugin',
        'backend-plugin-module',
      ].includes(role ?? '');
      if (installable && !own.some(step => step.action === 'run')) {
        throw new Error(
          `${relative(
            repoRoot,
            file,
          )} marks no install command for the install test: put <!-- install-test: run --> before its yarn add block`,
        );
      }
    }
    steps.push(...own);
  }
  return steps;
}
