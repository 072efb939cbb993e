import { goParseFloat } from './goParseFloat';

describe('goParseFloat', () => {
  // Each answer is what Go 1.26's strconv.ParseFloat(s, 64) returns (undefined: an error).
  it.each([
    ['1.5', 1.5],
    [' 1.5', undefined],
    ['1_000', 1000],
    ['1_0.5', 10.5],
    ['0x1p1', 2],
    ['0x_1p1', 2],
    ['0X1.8P1', 3],
    ['0x1.8', undefined],
    ['0x10', undefined],
    ['Inf', Infinity],
    ['+infinity', Infinity],
    ['-Inf', -Infinity],
    ['infinit', undefined],
    ['NaN', NaN],
    ['+nan', undefined],
    ['1e400', undefined],
    ['1.', 1],
    ['..5', undefined],
    ['.5', 0.5],
    ['+2', 2],
    ['1e', undefined],
    ['1__0', undefined],
    ['_1', undefined],
    ['1_', undefined],
    ['1e1_0', 1e10],
    ['1e_1', undefined],
    ['0b10', undefined],
    ['1E+1', 10],
    ['0001.5', 1.5],
    ['9007199254740993', 9007199254740992],
    ['', undefined],
  ])('%j', (text, expected) => {
    expect(goParseFloat(text)).toBe(expected);
  });
});
