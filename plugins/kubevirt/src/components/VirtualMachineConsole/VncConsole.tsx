import { useEffect, useMemo, useRef, useState } from 'react';
import { ResponseErrorPanel } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import type RFB from '@novnc/novnc';
import { ConsoleStatusBar } from './ConsoleStatusBar';
import { AttachConsole, useConsoleSocket } from './useConsoleSocket';

const SCREEN_HEIGHT = 600;

/**
 * The guest's display through noVNC, scaled to the card, keyboard and mouse live.
 * noVNC speaks RFB over the console's WebSocket; the relay passes the bytes through.
 */
export function VncConsole(props: { entityRef: string; vmName: string }) {
  const { entityRef, vmName } = props;
  const screen = useRef<HTMLDivElement>(null);
  const rfb = useRef<RFB>();
  const [Client, setClient] = useState<typeof RFB>();
  const [loadError, setLoadError] = useState<Error>();

  useEffect(() => {
    let cancelled = false;
    // noVNC ships ES modules only (with a top-level await), and is big: load it when
    // the VNC tab opens, not with the VM page.
    import('@novnc/novnc').then(
      module => {
        if (!cancelled) setClient(() => module.default);
      },
      error => {
        if (!cancelled) setLoadError(error);
      },
    );
    return () => {
      cancelled = true;
    };
  }, []);

  const attach = useMemo<AttachConsole | undefined>(() => {
    if (!Client) {
      return undefined;
    }
    return socket => {
      const target = screen.current;
      if (!target) {
        throw new Error('The VNC screen is not on the page');
      }
      const client = new Client(target, socket, { shared: true });
      client.scaleViewport = true;
      client.viewOnly = false;
      rfb.current = client;
      return () => {
        rfb.current = undefined;
        client.disconnect();
      };
    };
  }, [Client]);

  const { status, reconnect } = useConsoleSocket(entityRef, 'vnc', attach);

  // The backend's refusal says more than a viewer that did not load.
  if (loadError && status.state !== 'refused') {
    return (
      <ResponseErrorPanel
        title="Could not load the VNC viewer"
        error={loadError}
      />
    );
  }
  return (
    <>
      <ConsoleStatusBar status={status} onReconnect={reconnect}>
        <Button
          variant="outlined"
          size="small"
          disabled={status.state !== 'connected'}
          onClick={() => rfb.current?.sendCtrlAltDel()}
        >
          Send Ctrl+Alt+Del
        </Button>
      </ConsoleStatusBar>
      <Box
        role="region"
        aria-label={`VNC display of ${vmName}`}
        display={status.state === 'refused' ? 'none' : 'block'}
      >
        <div
          ref={screen}
          style={{
            width: '100%',
            height: SCREEN_HEIGHT,
            background: '#282828',
          }}
        />
      </Box>
    </>
  );
}
