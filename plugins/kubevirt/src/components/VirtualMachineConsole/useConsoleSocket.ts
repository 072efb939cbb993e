import { useCallback, useEffect, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import {
  kubevirtApiRef,
  VirtualMachineConsoleConnection,
  VirtualMachineConsoleType,
} from '../../api/KubevirtApi';
import { consoleCloseReason } from './consoleCloseReason';

/** Where a console session is, as its status line says it. */
export type ConsoleStatus =
  | { state: 'connecting' }
  | { state: 'connected' }
  /** The backend would not open the console (not an owner, VM not running, …). */
  | { state: 'refused'; error: Error }
  | { state: 'disconnected'; reason: string };

/**
 * Hooks a viewer (terminal, VNC screen) to a new socket; returns how to unhook it.
 * Called before the socket can deliver anything, so no byte is missed.
 */
export type AttachConsole = (socket: WebSocket) => () => void;

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * One console session of the entity's VM: asks the backend whether it may be opened,
 * then, once the viewer is ready (`attach` set), opens its WebSocket. Reconnect starts
 * over; unmounting closes the socket.
 */
export function useConsoleSocket(
  entityRef: string,
  type: VirtualMachineConsoleType,
  attach: AttachConsole | undefined,
): { status: ConsoleStatus; reconnect(): void } {
  const api = useApi(kubevirtApiRef);
  const [attempt, setAttempt] = useState(0);
  const [status, setStatus] = useState<ConsoleStatus>({ state: 'connecting' });
  const [connection, setConnection] =
    useState<VirtualMachineConsoleConnection>();

  // The availability check runs while the viewer loads (noVNC is a separate chunk).
  useEffect(() => {
    let cancelled = false;
    setStatus({ state: 'connecting' });
    setConnection(undefined);
    api.getConsoleConnection(entityRef, type).then(
      next => {
        if (!cancelled) setConnection(next);
      },
      error => {
        if (!cancelled) setStatus({ state: 'refused', error: toError(error) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api, entityRef, type, attempt]);

  useEffect(() => {
    if (!connection || !attach) {
      return undefined;
    }
    let current = true;
    let opened = false;
    const socket = new WebSocket(connection.url, connection.protocols);
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('open', () => {
      opened = true;
      if (current) setStatus({ state: 'connected' });
    });
    socket.addEventListener('close', event => {
      if (current) {
        setStatus({
          state: 'disconnected',
          reason: consoleCloseReason(event, opened),
        });
      }
    });
    let detach: (() => void) | undefined;
    try {
      detach = attach(socket);
    } catch (error) {
      socket.close();
      setStatus({ state: 'disconnected', reason: toError(error).message });
    }
    return () => {
      // A socket being replaced must not report its own end over the new one.
      current = false;
      detach?.();
      socket.close();
    };
  }, [connection, attach]);

  const reconnect = useCallback(() => setAttempt(n => n + 1), []);
  return { status, reconnect };
}
