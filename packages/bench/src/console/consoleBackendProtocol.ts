import type { ClusterInfo } from '@vmportal/kube-testenv';

/** Parent to the console backend process. */
export type ConsoleBackendRequest =
  | { type: 'start'; clusters: ClusterInfo[] }
  | { type: 'stop' };

/** The console backend process to its parent. */
export type ConsoleBackendReply =
  | { type: 'started'; port: number }
  | { type: 'failed'; error: string }
  | { type: 'stopped' };
