import type { ReactNode } from 'react';
import {
  StatusError,
  StatusOK,
  StatusPending,
} from '@backstage/core-components';
import { ResponseError } from '@backstage/errors';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import type { ConsoleStatus } from './useConsoleSocket';

function StatusText(props: { status: ConsoleStatus }) {
  const { status } = props;
  switch (status.state) {
    case 'connecting':
      return <StatusPending>Connecting…</StatusPending>;
    case 'connected':
      return <StatusOK>Connected</StatusOK>;
    case 'disconnected':
      return <StatusError>Disconnected: {status.reason}</StatusError>;
    default:
      return null;
  }
}

/**
 * A console's status line: where the session is, Reconnect once it ended, and the
 * viewer's own actions (`children`, e.g. "Send Ctrl+Alt+Del"). When the backend
 * would not open the console, its reason instead.
 */
export function ConsoleStatusBar(props: {
  status: ConsoleStatus;
  onReconnect(): void;
  /** A line of help under the status while connected. */
  hint?: string;
  children?: ReactNode;
}) {
  const { status, onReconnect, hint, children } = props;
  if (status.state === 'refused') {
    // Asking again does not make a non-owner an owner; a stopped VM may have started.
    const forbidden =
      ResponseError.is(status.error) && status.error.statusCode === 403;
    return (
      <Alert
        severity={forbidden ? 'info' : 'warning'}
        action={
          forbidden ? undefined : (
            <Button color="inherit" size="small" onClick={onReconnect}>
              Try again
            </Button>
          )
        }
      >
        {status.error.message}
      </Alert>
    );
  }
  return (
    <Box mb={1}>
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        style={{ gap: 8 }}
      >
        <Box flexGrow={1} role="status">
          <StatusText status={status} />
        </Box>
        {children}
        {status.state === 'disconnected' && (
          <Button variant="outlined" size="small" onClick={onReconnect}>
            Reconnect
          </Button>
        )}
      </Box>
      {hint && status.state === 'connected' && (
        <Typography variant="body2" color="textSecondary">
          {hint}
        </Typography>
      )}
    </Box>
  );
}
