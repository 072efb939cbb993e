/**
 * One CSV field as RFC 4180 writes it, and safe to open in a spreadsheet: a value
 * that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, or a
 * tab or carriage return, as OWASP lists them) gets a leading `'`; a value with a
 * comma, a quote or a line break is quoted, its quotes doubled.
 */
export function csvField(value: string | undefined): string {
  let text = value ?? '';
  if (/^[=+\-@\t\r]/.test(text)) {
    text = `'${text}`;
  }
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record with its CRLF line break (RFC 4180). */
export function csvRow(values: Array<string | undefined>): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
