/**
 * How a {@link Quantity} prints itself, as in Kubernetes' `resource.Format`.
 *
 * @public
 */
export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

const NANOS_PER_UNIT = 1_000_000_000n;

const DECIMAL_SUFFIXES: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES: Record<string, number> = {
  Ki: 10,
  Mi: 20,
  Gi: 30,
  Ti: 40,
  Pi: 50,
  Ei: 60,
};
const DECIMAL_SUFFIX_BY_EXPONENT = new Map(
  Object.entries(DECIMAL_SUFFIXES).map(([suffix, exp]) => [exp, suffix]),
);
const BINARY_SUFFIX_BY_EXPONENT = new Map(
  Object.entries(BINARY_SUFFIXES).map(([suffix, exp]) => [exp, suffix]),
);

// Kubernetes' grammar: <signedNumber><suffix>, suffix a binary or decimal SI suffix
// or a decimal exponent (e/E).
const QUANTITY_PATTERN =
  /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

function pow10(exponent: number): bigint {
  return 10n ** BigInt(exponent);
}

/** a / b rounded away from zero (Kubernetes rounds parsed values up). */
function divideAwayFromZero(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b === 0n ? q : q + (a < 0n ? -1n : 1n);
}

/**
 * An exact Kubernetes resource quantity (`resource.Quantity`): the value is held as a
 * whole number of nano-units, which is the finest precision Kubernetes keeps (finer
 * parsed values are rounded up, as Kubernetes does), so sums and comparisons are exact.
 *
 * `toString()` prints the canonical form Kubernetes would (`4Gi`, `100m`, `50M`).
 *
 * @public
 */
export class Quantity {
  private constructor(
    /** The value in units of 10^-9. */
    readonly nanos: bigint,
    /** How the value prints; arithmetic keeps the left operand's format. */
    readonly format: QuantityFormat,
  ) {}

  /** Zero, printed as `0`. */
  static readonly ZERO = new Quantity(0n, 'DecimalSI');

  /**
   * Parses a quantity as Kubernetes does (`1.5Gi`, `250m`, `1e3`, `20`); throws an
   * `Error` saying what is wrong for anything else.
   */
  static parse(text: string): Quantity {
    const parsed = Quantity.tryParse(text);
    if (!parsed) {
      throw new Error(
        `'${String(text).slice(
          0,
          40,
        )}' is not a quantity; write a number with an optional unit such as 4Gi, 512Mi, 500m or 2`,
      );
    }
    return parsed;
  }

  /** Like {@link Quantity.parse}, but returns undefined for text that is not a quantity. */
  static tryParse(text: string): Quantity | undefined {
    if (typeof text !== 'string' || text.length === 0 || text.length > 64) {
      return undefined;
    }
    const match = QUANTITY_PATTERN.exec(text);
    if (!match) return undefined;
    const [, sign, number, exponentPart, suffix = ''] = match;
    const [whole, fraction = ''] = number.split('.');
    let mantissa = BigInt(`${whole || '0'}${fraction}`);
    if (sign === '-') mantissa = -mantissa;
    // value = mantissa * 10^(-fraction.length) * multiplier
    let format: QuantityFormat = 'DecimalSI';
    let numerator = mantissa * NANOS_PER_UNIT;
    let denominator = pow10(fraction.length);
    if (exponentPart) {
      format = 'DecimalExponent';
      const exponent = Number(exponentPart.slice(1));
      if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 100) {
        return undefined;
      }
      if (exponent >= 0) numerator *= pow10(exponent);
      else denominator *= pow10(-exponent);
    } else if (suffix in BINARY_SUFFIXES) {
      format = 'BinarySI';
      numerator *= 2n ** BigInt(BINARY_SUFFIXES[suffix]);
    } else {
      const exponent = DECIMAL_SUFFIXES[suffix];
      if (exponent >= 0) numerator *= pow10(exponent);
      else denominator *= pow10(-exponent);
    }
    return new Quantity(divideAwayFromZero(numerator, denominator), format);
  }

  /** A quantity of `units` whole units (bytes, cores, objects). */
  static fromUnits(
    units: bigint | number,
    format: QuantityFormat = 'DecimalSI',
  ): Quantity {
    if (typeof units === 'number' && !Number.isSafeInteger(units)) {
      throw new Error(`${units} is not a whole number`);
    }
    return new Quantity(BigInt(units) * NANOS_PER_UNIT, format);
  }

  /** A quantity of `milliUnits` thousandths (millicores). */
  static fromMilliUnits(
    milliUnits: bigint | number,
    format: QuantityFormat = 'DecimalSI',
  ): Quantity {
    return new Quantity(BigInt(milliUnits) * 1_000_000n, format);
  }

  /** A quantity of `nanos` units of 10^-9. */
  static fromNanos(
    nanos: bigint,
    format: QuantityFormat = 'DecimalSI',
  ): Quantity {
    return new Quantity(nanos, format);
  }

  /**
   * The exact value of a decimal number's text (`0.3333333333333333`, `1e-7`),
   * rounded up to nano-units as Kubernetes does when it stores a quantity.
   */
  static fromDecimalString(
    text: string,
    format: QuantityFormat = 'DecimalSI',
  ): Quantity {
    const q = Quantity.tryParse(text);
    if (!q) throw new Error(`'${text}' is not a decimal number`);
    return new Quantity(q.nanos, format);
  }

  /** The larger of the quantities (the first when equal). */
  static max(first: Quantity, ...rest: Quantity[]): Quantity {
    return rest.reduce((a, b) => (b.cmp(a) > 0 ? b : a), first);
  }

  /** This plus `other`, in this quantity's format (the other's when this is zero). */
  add(other: Quantity): Quantity {
    return new Quantity(
      this.nanos + other.nanos,
      this.nanos === 0n ? other.format : this.format,
    );
  }

  /** This minus `other`, in this quantity's format. */
  sub(other: Quantity): Quantity {
    return new Quantity(this.nanos - other.nanos, this.format);
  }

  /** This times a whole number. */
  mul(factor: bigint | number): Quantity {
    return new Quantity(this.nanos * BigInt(factor), this.format);
  }

  /**
   * The value rounded up (away from zero) to thousandths, as the API server does to
   * every resource amount it stores (`SetDefaults_ResourceList`: `1333333334n` → `1334m`).
   */
  roundUpToMilli(): Quantity {
    return new Quantity(
      divideAwayFromZero(this.nanos, 1_000_000n) * 1_000_000n,
      this.format,
    );
  }

  /** The same value printed in another format. */
  withFormat(format: QuantityFormat): Quantity {
    return new Quantity(this.nanos, format);
  }

  /** -1, 0 or 1 as this is less than, equal to or greater than `other`. */
  cmp(other: Quantity): -1 | 0 | 1 {
    if (this.nanos < other.nanos) return -1;
    return this.nanos > other.nanos ? 1 : 0;
  }

  /** Whether both hold the same value (formats may differ). */
  equals(other: Quantity): boolean {
    return this.nanos === other.nanos;
  }

  /** Whether the value is zero. */
  isZero(): boolean {
    return this.nanos === 0n;
  }

  /** Whether the value is a whole number of units. */
  isWhole(): boolean {
    return this.nanos % NANOS_PER_UNIT === 0n;
  }

  /** The value rounded up (away from zero) to whole units, as Kubernetes' `Value()`. */
  value(): bigint {
    return divideAwayFromZero(this.nanos, NANOS_PER_UNIT);
  }

  /** The value in thousandths, rounded up (away from zero), as `MilliValue()`. */
  milliValue(): bigint {
    return divideAwayFromZero(this.nanos, 1_000_000n);
  }

  /** An approximate floating-point value, for display only. */
  toNumber(): number {
    const whole = this.nanos / NANOS_PER_UNIT;
    const rest = this.nanos % NANOS_PER_UNIT;
    return Number(whole) + Number(rest) / 1e9;
  }

  /** The canonical text Kubernetes prints for this quantity. */
  toString(): string {
    if (this.nanos === 0n) return '0';
    const negative = this.nanos < 0n;
    const magnitude = negative ? -this.nanos : this.nanos;
    const sign = negative ? '-' : '';
    let format = this.format;
    if (format === 'BinarySI') {
      const small = magnitude < 1024n * NANOS_PER_UNIT;
      if (small || magnitude % NANOS_PER_UNIT !== 0n) format = 'DecimalSI';
    }
    if (format === 'BinarySI') {
      let mantissa = magnitude / NANOS_PER_UNIT;
      let exponent = 0;
      while (exponent < 60 && mantissa % 1024n === 0n) {
        mantissa /= 1024n;
        exponent += 10;
      }
      return `${sign}${mantissa}${
        BINARY_SUFFIX_BY_EXPONENT.get(exponent) ?? ''
      }`;
    }
    let mantissa = magnitude;
    let exponent = -9;
    while (mantissa % 10n === 0n) {
      mantissa /= 10n;
      exponent += 1;
    }
    const adjust = ((exponent % 3) + 3) % 3;
    mantissa *= pow10(adjust);
    exponent -= adjust;
    if (format === 'DecimalSI') {
      const suffix = DECIMAL_SUFFIX_BY_EXPONENT.get(exponent);
      if (suffix !== undefined) return `${sign}${mantissa}${suffix}`;
    }
    return `${sign}${mantissa}${exponent === 0 ? '' : `e${exponent}`}`;
  }

  /** The canonical text, so that `JSON.stringify` prints quantities as Kubernetes does. */
  toJSON(): string {
    return this.toString();
  }
}
