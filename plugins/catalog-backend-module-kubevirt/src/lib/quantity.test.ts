import { formatMemory, parseMemoryQuantity } from './quantity';

describe('memory quantities', () => {
  it('parses binary, decimal and exponent forms', () => {
    expect(parseMemoryQuantity('4Gi')).toBe(4 * 2 ** 30);
    expect(parseMemoryQuantity('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(parseMemoryQuantity('512M')).toBe(512e6);
    expect(parseMemoryQuantity('1e9')).toBe(1e9);
    expect(parseMemoryQuantity('lots')).toBeUndefined();
  });

  it('normalises to the largest binary unit that divides', () => {
    expect(formatMemory('4096Mi')).toBe('4Gi');
    expect(formatMemory('1.5Gi')).toBe('1536Mi');
    expect(formatMemory('1G')).toBe('1000000000');
    expect(formatMemory(undefined)).toBeUndefined();
  });
});
