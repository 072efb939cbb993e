import { BenchUsageError, FlagSpec, parseFlags } from './args';

const specs = {
  vms: { type: 'int', default: 100, min: 1, max: 1000, help: 'VMs' },
  rate: { type: 'number', default: 2.5, min: 0.1, max: 50, help: 'per second' },
  db: {
    type: 'choice',
    default: 'sqlite',
    choices: ['sqlite', 'postgres'],
    help: 'database',
  },
  name: { type: 'string', default: '', help: 'result name' },
  peer: { type: 'boolean', default: false, help: 'also run the peer' },
  simulator: { type: 'boolean', default: true, help: 'run the simulator' },
} as const satisfies Record<string, FlagSpec>;

function problem(argv: string[]): string {
  try {
    parseFlags(argv, specs, 'USAGE');
  } catch (error) {
    expect(error).toBeInstanceOf(BenchUsageError);
    expect((error as BenchUsageError).usage).toBe('USAGE');
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('parseFlags', () => {
  it('gives the defaults when no flag is given', () => {
    expect(parseFlags([], specs, 'USAGE')).toEqual({
      vms: 100,
      rate: 2.5,
      db: 'sqlite',
      name: '',
      peer: false,
      simulator: true,
    });
  });

  it('reads --name value, --name=value, --flag and --no-flag', () => {
    expect(
      parseFlags(
        [
          '--vms',
          '300',
          '--rate=4',
          '--db',
          'postgres',
          '--name=small',
          '--peer',
          '--no-simulator',
        ],
        specs,
        'USAGE',
      ),
    ).toEqual({
      vms: 300,
      rate: 4,
      db: 'postgres',
      name: 'small',
      peer: true,
      simulator: false,
    });
  });

  it.each([
    [['--vms', '0'], "--vms must be a whole number from 1 to 1000, got '0'"],
    [
      ['--vms', '1.5'],
      "--vms must be a whole number from 1 to 1000, got '1.5'",
    ],
    [['--vms='], "--vms must be a whole number from 1 to 1000, got ''"],
    [['--rate', 'fast'], "--rate must be a number from 0.1 to 50, got 'fast'"],
    [['--db', 'mysql'], "--db must be one of sqlite, postgres, got 'mysql'"],
    [['--vm', '3'], "Unknown option '--vm'"],
    [['--no-vms'], "Unknown option '--no-vms'"],
    [['300'], "Unexpected argument '300'"],
    [['--vms'], "Option '--vms <value>' argument missing"],
    [['--vms', '--peer'], "Option '--vms' argument is ambiguous"],
    [['--peer=yes'], "Option '--peer' does not take an argument"],
  ])('refuses %j, saying what is wrong', (argv, message) => {
    expect(problem(argv)).toContain(message);
  });
});
