import { performance } from 'node:perf_hooks';
import type { ClusterInfo } from '@vmportal/kube-testenv';
import { consoleProtocols } from '@vmportal/plugin-kubevirt-common';
import { WebSocket } from 'ws';
import { ByteReader } from './ByteReader';

/** Through the portal's relay, or straight to the apiserver (the floor). */
export type ConsoleRoute = 'relay' | 'direct';

/** The VM whose consoles are measured, and how to reach them both ways. */
export interface ConsoleTarget {
  /** `http://localhost:<port>` of the backend. */
  backendUrl: string;
  /** The VM's Component name (namespace `default`). */
  entityName: string;
  /** The signed-in user's Backstage token (the relay's subprotocol carries it). */
  userToken: string;
  cluster: ClusterInfo;
  namespace: string;
  name: string;
}

/** An open console session. */
export interface ConsoleSession {
  socket: WebSocket;
  reader: ByteReader;
  /** From `new WebSocket` to the upgrade's answer. */
  openMs: number;
  /** Closes the session and waits until it is closed. */
  close(): Promise<void>;
}

/** The relay's console path of the VM (see the kubevirt backend's README, "Console"). */
export function relayConsolePath(
  entityName: string,
  type: 'serial' | 'vnc',
): string {
  return `/api/kubevirt/v1/entities/default/component/${encodeURIComponent(
    entityName,
  )}/console/${type}`;
}

/**
 * Opens the VM's serial console or VNC: through the relay as the VM page does (the
 * user's token in the subprotocols), or at KubeVirt's subresource through the
 * apiserver as the relay itself does (the cluster's actor token, `plain.kubevirt.io`).
 */
export function openConsole(
  route: ConsoleRoute,
  type: 'serial' | 'vnc',
  target: ConsoleTarget,
  timeoutMs: number,
): Promise<ConsoleSession> {
  const startedAt = performance.now();
  let socket: WebSocket;
  if (route === 'relay') {
    const url = new URL(
      relayConsolePath(target.entityName, type),
      target.backendUrl,
    );
    url.protocol = 'ws:';
    socket = new WebSocket(url, consoleProtocols(target.userToken), {
      handshakeTimeout: timeoutMs,
    });
  } else {
    const url = new URL(
      `/apis/subresources.kubevirt.io/v1/namespaces/${
        target.namespace
      }/virtualmachineinstances/${target.name}/${
        type === 'serial' ? 'console' : 'vnc'
      }`,
      target.cluster.url,
    );
    url.protocol = 'wss:';
    socket = new WebSocket(url, ['plain.kubevirt.io'], {
      headers: { Authorization: `Bearer ${target.cluster.actorToken}` },
      ca: Buffer.from(target.cluster.caData, 'base64'),
      handshakeTimeout: timeoutMs,
    });
  }
  socket.binaryType = 'nodebuffer';
  // Listening from the start: VNC's server speaks first.
  const reader = new ByteReader(socket);
  const closed = new Promise<void>(resolve =>
    socket.once('close', () => resolve()),
  );
  return new Promise<ConsoleSession>((resolve, reject) => {
    socket.once('open', () =>
      resolve({
        socket,
        reader,
        openMs: performance.now() - startedAt,
        close: async () => {
          if (socket.readyState === WebSocket.OPEN) socket.close();
          else if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
          await closed;
        },
      }),
    );
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      response.on('end', () => {
        socket.terminate();
        reject(
          new Error(
            `${route} ${type} console: ${response.statusCode} ${body.slice(
              0,
              300,
            )}`,
          ),
        );
      });
    });
    socket.once('error', error =>
      reject(new Error(`${route} ${type} console: ${error.message}`)),
    );
  });
}
