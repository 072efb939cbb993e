/**
 * Why a console's WebSocket closed, for "Disconnected: …". The backend's close
 * reasons are sentences written for the user ("Closed after 15 min without
 * activity"); the code only speaks when it sent none.
 */
export function consoleCloseReason(
  event: Pick<CloseEvent, 'code' | 'reason'>,
  opened: boolean,
): string {
  if (event.reason) {
    return event.reason;
  }
  switch (event.code) {
    case 1000:
    case 1005: // a close frame without a code
      return 'the console ended';
    case 4401:
      return 'you are not signed in';
    case 4403:
      return 'you may no longer open this console';
    case 4408:
      return 'the console was idle for too long';
    case 1011:
      return 'the cluster ended the console';
    default:
      // 1006 and the like: the browser only says the connection failed, and a
      // handshake the backend refused looks the same as a network error.
      return opened
        ? `the connection was lost (code ${event.code})`
        : `could not connect to the kubevirt backend (code ${event.code})`;
  }
}
