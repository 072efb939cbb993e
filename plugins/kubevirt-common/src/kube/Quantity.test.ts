import { Quantity } from './Quantity';

describe('Quantity', () => {
  it.each([
    ['4Gi', 4n * 1024n ** 3n * 1_000_000_000n],
    ['1.5Gi', 1610612736n * 1_000_000_000n],
    ['512Mi', 512n * 1024n ** 2n * 1_000_000_000n],
    ['100m', 100_000_000n],
    ['50M', 50_000_000n * 1_000_000_000n],
    ['2', 2_000_000_000n],
    ['1e3', 1000n * 1_000_000_000n],
    ['1E-3', 1_000_000n],
    ['0.5', 500_000_000n],
    ['.5', 500_000_000n],
    ['1n', 1n],
    ['250u', 250_000n],
    ['1Ei', 1024n ** 6n * 1_000_000_000n],
    ['-3k', -3000n * 1_000_000_000n],
  ])('parses %s exactly', (text, nanos) => {
    expect(Quantity.parse(text).nanos).toBe(nanos);
  });

  it('rounds values finer than a nano-unit up, as Kubernetes does', () => {
    expect(Quantity.parse('0.6666666666666666').toString()).toBe('666666667n');
    expect(Quantity.parse('1.3333333333333333').toString()).toBe('1333333334n');
    expect(Quantity.parse('0.1n').nanos).toBe(1n);
  });

  it.each([
    '',
    ' 1Gi',
    '1 Gi',
    '1GB',
    '1gi',
    'Gi',
    '1.2.3',
    '0x10',
    '1e',
    '--1',
    'NaN',
    'Infinity',
    '1e1000',
  ])('refuses %j', text => {
    expect(Quantity.tryParse(text)).toBeUndefined();
    expect(() => Quantity.parse(text)).toThrow(/not a quantity/);
  });

  it.each([
    ['4Gi', '4Gi'],
    ['1.5Gi', '1536Mi'],
    ['1024Mi', '1Gi'],
    ['1000Mi', '1000Mi'],
    ['100m', '100m'],
    ['0.1', '100m'],
    ['2000m', '2'],
    ['1500m', '1500m'],
    ['50M', '50M'],
    ['5e7', '50e6'],
    ['1000', '1k'],
    ['1500', '1500'],
    ['0', '0'],
    ['1023Ki', '1023Ki'],
    ['500', '500'],
    ['0.5Ki', '512'],
    ['-2Gi', '-2Gi'],
  ])('prints %s canonically as %s (Kubernetes String())', (text, canonical) => {
    expect(Quantity.parse(text).toString()).toBe(canonical);
  });

  it('adds, subtracts and compares exactly', () => {
    const overhead = Quantity.parse('276Mi');
    const memory = Quantity.parse('4Gi').add(overhead);
    expect(memory.toString()).toBe('4372Mi');
    expect(memory.sub(Quantity.parse('4Gi')).equals(overhead)).toBe(true);
    expect(Quantity.parse('1').cmp(Quantity.parse('1000m'))).toBe(0);
    expect(Quantity.parse('1Ki').cmp(Quantity.parse('1k'))).toBe(1);
    expect(
      Quantity.max(
        Quantity.parse('1'),
        Quantity.parse('2'),
        Quantity.parse('1500m'),
      ).toString(),
    ).toBe('2');
    expect(Quantity.parse('35M').add(Quantity.parse('4372Mi')).value()).toBe(
      4619374272n,
    );
  });

  it('keeps the left format, or the right one when the left is zero (as Kubernetes Add)', () => {
    expect(Quantity.ZERO.add(Quantity.parse('1Gi')).toString()).toBe('1Gi');
    expect(Quantity.parse('1G').add(Quantity.parse('1Gi')).format).toBe(
      'DecimalSI',
    );
  });

  it('rounds Value() and MilliValue() up, away from zero', () => {
    expect(Quantity.parse('2500m').value()).toBe(3n);
    expect(Quantity.parse('-2500m').value()).toBe(-3n);
    expect(Quantity.parse('1n').milliValue()).toBe(1n);
    expect(Quantity.parse('0.5').isWhole()).toBe(false);
  });

  it('reads Go %g output exactly', () => {
    expect(Quantity.fromDecimalString(String(1 / 3)).toString()).toBe(
      '333333334n',
    );
    expect(Quantity.fromDecimalString('1e-7').nanos).toBe(100n);
    expect(Quantity.fromDecimalString('1e+06').toString()).toBe('1M');
  });

  it('serialises to JSON as canonical text', () => {
    expect(JSON.stringify({ memory: Quantity.parse('2048Mi') })).toBe(
      '{"memory":"2Gi"}',
    );
  });
});
