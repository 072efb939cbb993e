/*
 * Go's strconv.ParseFloat(s, 64), which KubeVirt uses for the namespace label
 * `alpha.kubevirt.io/auto-memory-limits-ratio` and `additionalGuestMemoryOverheadRatio`.
 * Returns undefined where Go returns an error (bad syntax, or out of range: Go then
 * answers ±Inf with ErrRange, and KubeVirt treats any error as "not set").
 *
 * Accepted, as in Go: an optional sign; decimal digits with an optional point and
 * `e` exponent; hexadecimal `0x` mantissas with a mandatory `p` exponent; `_`
 * between digits (or after the base prefix); `inf`/`infinity` (with a sign) and
 * `nan` (without), in any case. No surrounding spaces.
 */

function underscoreOk(s: string): boolean {
  let saw = '^';
  let i = 0;
  let t = s;
  if (t.startsWith('+') || t.startsWith('-')) t = t.slice(1);
  let hex = false;
  if (t.length >= 2 && t[0] === '0' && /[box]/i.test(t[1])) {
    i = 2;
    saw = '0';
    hex = t[1].toLowerCase() === 'x';
  }
  for (; i < t.length; i++) {
    const c = t[i];
    if (/[0-9]/.test(c) || (hex && /[a-f]/i.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

function special(s: string): number | undefined {
  const lower = s.toLowerCase();
  let sign = 1;
  let body = lower;
  if (body.startsWith('+') || body.startsWith('-')) {
    if (body[0] === '-') sign = -1;
    body = body.slice(1);
    if (body === 'inf' || body === 'infinity') return sign * Infinity;
    return undefined;
  }
  if (body === 'inf' || body === 'infinity') return Infinity;
  if (body === 'nan') return NaN;
  return undefined;
}

/** Go's `strconv.ParseFloat(text, 64)`; undefined where Go returns an error. */
export function goParseFloat(text: string): number | undefined {
  if (text.length === 0) return undefined;
  const sp = special(text);
  if (sp !== undefined) return sp;
  if (text.includes('_') && !underscoreOk(text)) return undefined;
  const s = text.replace(/_/g, '');
  let value: number;
  const hex =
    /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?[0-9]+)$/.exec(
      s,
    );
  if (hex) {
    const [, sign, whole, fraction = '', exponent] = hex;
    const digits = whole + fraction;
    if (digits.length === 0) return undefined;
    const mantissa = BigInt(`0x${digits}`);
    value = Number(mantissa) * 2 ** (Number(exponent) - 4 * fraction.length);
    if (sign === '-') value = -value;
  } else {
    if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(s))
      return undefined;
    value = Number(s);
  }
  // Go answers ±Inf with ErrRange for a finite literal too large for a float64.
  return Number.isFinite(value) ? value : undefined;
}
