import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument, YAMLMap, YAMLSeq } from 'yaml';
import { StockApp } from './createStockApp';
import { InstallStep } from './readmeInstallSteps';

/** The `yarn` command lines of a shell block; the others are alternatives for npm. */
function yarnCommands(step: InstallStep): string[][] {
  const commands = step.text
    .split('\n')
    .map(line => line.trim())
    .filter(line => line.startsWith('yarn '))
    .map(line => {
      if (/["'`$|;&<>\\]/.test(line)) {
        throw new Error(
          `${step.source}: "${line}" needs a shell; the install test runs plain commands`,
        );
      }
      return line.split(/\s+/).slice(1);
    });
  if (commands.length === 0) {
    throw new Error(`${step.source}: the block has no yarn command to run`);
  }
  return commands;
}

/**
 * Adds the code lines of the step that the file lacks (comments aside): backend
 * features go before `backend.start()`, as a person adds them.
 */
function addLines(file: string, step: InstallStep): string[] {
  const text = readFileSync(file, 'utf8');
  const have = new Set(text.split('\n').map(line => line.trim()));
  const missing = step.text
    .split('\n')
    .map(line => line.trim())
    .filter(line => line && !line.startsWith('//') && !have.has(line));
  const anchor = 'backend.start();';
  if (!text.includes(anchor)) {
    throw new Error(
      `${step.source}: ${file} has no "${anchor}" to add the lines before`,
    );
  }
  writeFileSync(
    file,
    text.replace(anchor, [...missing, '', anchor].join('\n')),
  );
  return missing;
}

function sameNode(a: unknown, b: unknown): boolean {
  const json = (n: unknown) =>
    JSON.stringify(
      n && typeof n === 'object' && 'toJSON' in n
        ? (n as { toJSON(): unknown }).toJSON()
        : n,
    );
  return json(a) === json(b);
}

/** Merges `from` into `into`: maps key by key, lists by adding what they lack. */
function mergeMap(into: YAMLMap, from: YAMLMap): void {
  for (const pair of from.items) {
    const key = pair.key;
    const have = into.get(key, true);
    if (isMap(have) && isMap(pair.value)) {
      mergeMap(have, pair.value);
    } else if (isSeq(have) && isSeq(pair.value)) {
      for (const item of (pair.value as YAMLSeq).items) {
        if (!have.items.some(existing => sameNode(existing, item))) {
          have.add(item);
        }
      }
    } else {
      into.set(key, pair.value);
    }
  }
}

function mergeYaml(file: string, step: InstallStep): void {
  const target = parseDocument(readFileSync(file, 'utf8'));
  const snippet = parseDocument(step.text);
  if (target.errors.length || snippet.errors.length) {
    throw new Error(
      `${step.source}: YAML that does not parse: ${[
        ...target.errors,
        ...snippet.errors,
      ]
        .map(e => e.message)
        .join('; ')}`,
    );
  }
  if (!isMap(snippet.contents)) {
    throw new Error(`${step.source}: the YAML block is not a map`);
  }
  if (!isMap(target.contents)) {
    throw new Error(`${step.source}: ${file} is not a YAML map`);
  }
  mergeMap(target.contents, snippet.contents);
  writeFileSync(file, String(target));
}

/**
 * Applies the READMEs' install steps to the app, as a person following them would:
 * first the package manager's settings (`.yarnrc.yml`), then the commands, then the
 * code and config edits.
 */
export async function applyInstallSteps(
  app: StockApp,
  steps: InstallStep[],
  log: (line: string) => void,
): Promise<void> {
  const rank = (s: InstallStep) =>
    s.file === '.yarnrc.yml' ? 0 : s.action === 'run' ? 1 : 2;
  const ordered = [...steps].sort((a, b) => rank(a) - rank(b));
  for (const step of ordered) {
    if (step.action === 'run') {
      for (const args of yarnCommands(step)) {
        const t = Date.now();
        await app.yarn(args);
        log(
          `${step.source}: yarn ${args.join(' ')} (${(
            (Date.now() - t) /
            1000
          ).toFixed(1)}s)`,
        );
      }
    } else if (step.action === 'add') {
      const added = addLines(join(app.dir, step.file!), step);
      log(
        `${step.source}: ${step.file} ${
          added.length ? `+ ${added.join(' ')}` : 'has every line already'
        }`,
      );
    } else {
      mergeYaml(join(app.dir, step.file!), step);
      log(`${step.source}: merged into ${step.file}`);
    }
  }
}
