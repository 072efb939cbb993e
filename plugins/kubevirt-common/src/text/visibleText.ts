/* eslint-disable no-control-regex -- making control characters visible is the point here */
// Control characters but the newline, and the invisible or reordering ones.
const INVISIBLE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]/g;

/**
 * A message with every control, line-separator and bidirectional character but the
 * newline written as `\uXXXX`: they could forge log lines or reorder what a reviewer
 * reads.
 *
 * @public
 */
export function visibleMessage(message: string): string {
  return message.replace(
    INVISIBLE,
    c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Text from a request made safe to quote in a message: visible, and at most `max`
 * characters.
 *
 * @public
 */
export function visibleText(text: string, max = 80): string {
  return visibleMessage(text.length > max ? `${text.slice(0, max)}…` : text);
}
