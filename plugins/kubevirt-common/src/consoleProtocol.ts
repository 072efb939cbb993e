/**
 * The WebSocket subprotocol the VM page's console speaks with the kubevirt backend:
 * binary frames carry the guest's raw bytes (serial terminal or RFB) both ways.
 *
 * @public
 */
export const CONSOLE_PROTOCOL = 'vmportal.console.v1';

/**
 * A browser cannot set headers on a WebSocket, so the page offers the user's Backstage
 * token as a second subprotocol: this prefix and the token in base64url (a token may
 * hold characters a subprotocol may not). The backend never selects it.
 *
 * @public
 */
export const CONSOLE_TOKEN_PROTOCOL_PREFIX = 'vmportal.token.';

/**
 * The subprotocols that open a console as the holder of `token`.
 *
 * @public
 */
export function consoleProtocols(token: string): string[] {
  const bytes = new TextEncoder().encode(token);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const base64url = btoa(binary)
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  return [CONSOLE_PROTOCOL, `${CONSOLE_TOKEN_PROTOCOL_PREFIX}${base64url}`];
}
