import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/**
 * A command-line mistake: the message says what is wrong, then the usage.
 *
 * @public
 */
export class BenchUsageError extends Error {
  constructor(message: string, readonly usage: string) {
    super(message);
    this.name = 'BenchUsageError';
  }
}

/**
 * One `--flag value` a benchmark accepts.
 *
 * @public
 */
export type FlagSpec =
  | {
      type: 'int';
      default: number;
      min: number;
      max: number;
      help: string;
    }
  | {
      type: 'number';
      default: number;
      min: number;
      max: number;
      help: string;
    }
  | {
      type: 'choice';
      default: string;
      choices: readonly string[];
      help: string;
    }
  | { type: 'string'; default: string; help: string }
  | { type: 'boolean'; default: boolean; help: string };

/**
 * The parsed value type of a flag spec.
 *
 * @public
 */
export type FlagValue<S extends FlagSpec> = S extends { type: 'int' | 'number' }
  ? number
  : S extends { type: 'boolean' }
  ? boolean
  : string;

/**
 * Parsed flags, keyed by flag name.
 *
 * @public
 */
export type ParsedFlags<T extends Record<string, FlagSpec>> = {
  [K in keyof T]: FlagValue<T[K]>;
};

/** `--name <value>  help (default: x)` lines for a usage text. */
export function describeFlags(specs: Record<string, FlagSpec>): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    let value = '';
    if (spec.type === 'int' || spec.type === 'number') value = ' <n>';
    else if (spec.type === 'choice') value = ` ${spec.choices.join('|')}`;
    else if (spec.type === 'string') value = ' <text>';
    const left = `--${name}${value}`;
    const def =
      spec.type === 'boolean' || spec.default === ''
        ? ''
        : ` (default: ${spec.default})`;
    return `    ${left.padEnd(32)} ${spec.help}${def}`;
  });
  return rows.join('\n');
}

/**
 * Parses `--name value`, `--name=value` and boolean `--name` / `--no-name` against
 * `specs` with `node:util`'s `parseArgs`, then checks each value against its spec.
 * Anything else (an unknown flag, a stray word, a missing value, a value out of range)
 * is a {@link BenchUsageError} naming the problem.
 *
 * @public
 */
export function parseFlags<T extends Record<string, FlagSpec>>(
  argv: string[],
  specs: T,
  usage: string,
): ParsedFlags<T> {
  const fail = (message: string): never => {
    throw new BenchUsageError(message, usage);
  };
  const options: ParseArgsOptionsConfig = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.type === 'boolean' ? 'boolean' : 'string' };
  }
  // No option is `multiple`, so each value is one string or boolean.
  let given: Record<string, string | boolean | undefined> = {};
  try {
    given = parseArgs({
      args: argv,
      options,
      strict: true,
      allowNegative: true,
    }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    // parseArgs' own messages name the flag and the mistake
    // ("Unknown option '--vm'", "Option '--vms <value>' argument missing").
    fail(error instanceof Error ? error.message : String(error));
  }

  const values: Record<string, number | string | boolean> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const raw = given[name];
    if (raw === undefined) {
      values[name] = spec.default;
    } else if (typeof raw === 'boolean') {
      values[name] = raw;
    } else if (spec.type === 'int' || spec.type === 'number') {
      const n = Number(raw);
      const kind = spec.type === 'int' ? 'a whole number' : 'a number';
      if (
        raw.trim() === '' ||
        !Number.isFinite(n) ||
        (spec.type === 'int' && !Number.isInteger(n)) ||
        n < spec.min ||
        n > spec.max
      ) {
        fail(
          `--${name} must be ${kind} from ${spec.min} to ${spec.max}, got '${raw}'`,
        );
      }
      values[name] = n;
    } else if (spec.type === 'choice' && !spec.choices.includes(raw)) {
      fail(`--${name} must be one of ${spec.choices.join(', ')}, got '${raw}'`);
    } else {
      values[name] = raw;
    }
  }
  return values as ParsedFlags<T>;
}
