import '@xterm/xterm/css/xterm.css';
import { useEffect, useMemo, useRef, useState } from 'react';
import Box from '@material-ui/core/Box';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { ConsoleStatusBar } from './ConsoleStatusBar';
import { AttachConsole, useConsoleSocket } from './useConsoleSocket';

/** About 24 rows at xterm's default font. */
const TERMINAL_HEIGHT = 420;

/**
 * The guest's serial console (ttyS0) in a terminal fitted to the card. Bytes go both
 * ways as binary frames: KubeVirt ignores text frames, so keystrokes are sent as
 * their UTF-8 bytes.
 */
export function SerialConsole(props: { entityRef: string; vmName: string }) {
  const { entityRef, vmName } = props;
  const container = useRef<HTMLDivElement>(null);
  const [terminal, setTerminal] = useState<Terminal>();

  useEffect(() => {
    const element = container.current;
    if (!element) {
      return undefined;
    }
    const next = new Terminal({ cursorBlink: true });
    const fit = new FitAddon();
    next.loadAddon(fit);
    next.open(element);
    fit.fit();
    // The card's width follows the window and the sidebar; a serial line has no
    // size to tell the guest, so only the terminal follows.
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(element);
    setTerminal(next);
    return () => {
      observer.disconnect();
      next.dispose();
    };
  }, []);

  const attach = useMemo<AttachConsole | undefined>(() => {
    if (!terminal) {
      return undefined;
    }
    return socket => {
      const encoder = new TextEncoder();
      const onMessage = (event: MessageEvent<ArrayBuffer | string>) => {
        terminal.write(
          typeof event.data === 'string'
            ? event.data
            : new Uint8Array(event.data),
        );
      };
      const onOpen = () => terminal.focus();
      socket.addEventListener('message', onMessage);
      socket.addEventListener('open', onOpen);
      const input = terminal.onData(data => {
        if (socket.readyState === WebSocket.OPEN) {
          socket.send(encoder.encode(data));
        }
      });
      return () => {
        socket.removeEventListener('message', onMessage);
        socket.removeEventListener('open', onOpen);
        input.dispose();
      };
    };
  }, [terminal]);

  const { status, reconnect } = useConsoleSocket(entityRef, 'serial', attach);

  return (
    <>
      <ConsoleStatusBar
        status={status}
        onReconnect={reconnect}
        hint="A login prompt printed before you connected is not shown again: press Enter for a new one."
      />
      <Box
        role="region"
        aria-label={`Serial console of ${vmName}`}
        // Kept mounted when the console is refused: the terminal lives in it.
        display={status.state === 'refused' ? 'none' : 'block'}
        height={TERMINAL_HEIGHT}
        bgcolor="#000"
        p={1}
      >
        <div ref={container} style={{ width: '100%', height: '100%' }} />
      </Box>
    </>
  );
}
