import { csvField, csvRow } from './csvRow';

describe('csvRow', () => {
  it('writes RFC 4180: quotes a field with a comma, quote or line break, doubling quotes', () => {
    expect(
      csvRow(['web-1', 'a,b', 'say "hi"', 'two\nlines', undefined, '']),
    ).toBe('web-1,"a,b","say ""hi""","two\nlines",,\r\n');
  });

  it('defuses what a spreadsheet would run as a formula', () => {
    expect(csvField('=HYPERLINK("http://evil","x")')).toBe(
      `"'=HYPERLINK(""http://evil"",""x"")"`,
    );
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\tcmd')).toBe("'\tcmd");
    // Inside a value, the characters are harmless.
    expect(csvField('u1.medium')).toBe('u1.medium');
    expect(csvField('fd00::1')).toBe('fd00::1');
    expect(csvField('a=b')).toBe('a=b');
  });
});
