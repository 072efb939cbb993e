/** A command-line mistake: the message says what is wrong, then the usage. */
export class BenchUsageError extends Error {
  constructor(message: string, readonly usage: string) {
    super(message);
    this.name = 'BenchUsageError';
  }
}

/** One `--flag value` a benchmark accepts. */
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

/** The parsed value type of a flag spec. */
export type FlagValue<S extends FlagSpec> = S extends { type: 'int' | 'number' }
  ? number
  : S extends { type: 'boolean' }
  ? boolean
  : string;

/** Parsed flags, keyed by flag name. */
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
 * `specs`. Anything else (an unknown flag, a stray word, a value out of range) is a
 * {@link BenchUsageError} naming the problem.
 */
export function parseFlags<T extends Record<string, FlagSpec>>(
  argv: string[],
  specs: T,
  usage: string,
): ParsedFlags<T> {
  const values: Record<string, number | string | boolean> = {};
  for (const [name, spec] of Object.entries(specs)) values[name] = spec.default;
  const fail = (message: string): never => {
    throw new BenchUsageError(message, usage);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) fail(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    let name = arg.slice(2, eq === -1 ? undefined : eq);
    let inline = eq === -1 ? undefined : arg.slice(eq + 1);
    let spec: FlagSpec | undefined = specs[name];
    if (!spec && name.startsWith('no-') && specs[name.slice(3)]?.type) {
      const positive = specs[name.slice(3)];
      if (positive.type === 'boolean' && inline === undefined) {
        name = name.slice(3);
        spec = positive;
        inline = 'false';
      }
    }
    if (!spec) {
      fail(`unknown flag '--${name}'`);
      return values as ParsedFlags<T>;
    }
    if (spec.type === 'boolean') {
      if (inline === undefined) values[name] = true;
      else if (inline === 'true' || inline === 'false') {
        values[name] = inline === 'true';
      } else fail(`--${name} takes no value or true/false, got '${inline}'`);
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      raw = argv[i + 1];
      i += 1;
      if (raw === undefined || raw.startsWith('--')) {
        fail(`--${name} needs a value`);
        return values as ParsedFlags<T>;
      }
    }
    if (spec.type === 'int' || spec.type === 'number') {
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
    } else if (spec.type === 'choice') {
      if (!spec.choices.includes(raw)) {
        fail(
          `--${name} must be one of ${spec.choices.join(', ')}, got '${raw}'`,
        );
      }
      values[name] = raw;
    } else {
      values[name] = raw;
    }
  }
  return values as ParsedFlags<T>;
}
