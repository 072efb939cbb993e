import {
  ClusterInfo,
  kubeConfigFor,
  kubeRequest,
} from '@vmportal/kube-testenv';

/**
 * Requests one apiserver has counted for one resource, by verb, read from its own
 * `/metrics` (`apiserver_request_total`, every response code and scope summed), plus
 * the watches open at that moment (`apiserver_longrunning_requests`). A WATCH is
 * counted in `apiserver_request_total` only when it ends.
 */
export interface ResourceRequestCounts {
  byVerb: Record<string, number>;
  openWatches: number;
}

/** Counts per cluster name. */
export type RequestSnapshot = Record<string, ResourceRequestCounts>;

function labels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
    out[match[1]] = match[2];
  }
  return out;
}

/** Parses the Prometheus text of an apiserver's `/metrics` for `resource`. */
export function parseResourceRequests(
  metricsText: string,
  resource: string,
  group: string,
): ResourceRequestCounts {
  const counts: ResourceRequestCounts = { byVerb: {}, openWatches: 0 };
  for (const line of metricsText.split('\n')) {
    const match =
      /^(apiserver_request_total|apiserver_longrunning_requests)\{([^}]*)\}\s+(\S+)/.exec(
        line,
      );
    if (!match) continue;
    const l = labels(match[2]);
    if (l.resource !== resource || l.group !== group || l.subresource) {
      continue;
    }
    const value = Number(match[3]);
    if (match[1] === 'apiserver_request_total') {
      counts.byVerb[l.verb] = (counts.byVerb[l.verb] ?? 0) + value;
    } else if (l.verb === 'WATCH') {
      counts.openWatches += value;
    }
  }
  return counts;
}

/**
 * Time one apiserver has spent answering `verb` requests for `resource` (the sum and
 * count of `apiserver_request_duration_seconds`, every scope and response code summed),
 * read from the Prometheus text of its `/metrics`.
 */
export function parseResourceRequestSeconds(
  metricsText: string,
  resource: string,
  group: string,
  verb: string,
): { seconds: number; count: number } {
  const result = { seconds: 0, count: 0 };
  for (const line of metricsText.split('\n')) {
    const match =
      /^apiserver_request_duration_seconds_(sum|count)\{([^}]*)\}\s+(\S+)/.exec(
        line,
      );
    if (!match) continue;
    const l = labels(match[2]);
    if (
      l.resource !== resource ||
      l.group !== group ||
      l.verb !== verb ||
      l.subresource
    ) {
      continue;
    }
    if (match[1] === 'sum') result.seconds += Number(match[3]);
    else result.count += Number(match[3]);
  }
  return result;
}

/** Reads every cluster's VirtualMachine request counters now. */
export async function snapshotVmRequests(
  clusters: ClusterInfo[],
): Promise<RequestSnapshot> {
  const entries = await Promise.all(
    clusters.map(async cluster => {
      const text = await kubeRequest<string>(
        kubeConfigFor(cluster),
        'GET',
        '/metrics',
      );
      return [
        cluster.name,
        parseResourceRequests(text, 'virtualmachines', 'kubevirt.io'),
      ] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** What happened between two snapshots, summed over clusters. */
export interface RequestDelta {
  /** LIST requests (each page of a paginated list is one). */
  list: number;
  /** WATCH requests that ended in the interval. */
  watchEnded: number;
  /** Watches open at the end of the interval. */
  openWatchesAtEnd: number;
  /** Watches open at the end minus those open at the start. */
  openWatchesAdded: number;
  /** Every verb's count, for context (CREATE, PATCH, DELETE, GET, ...). */
  byVerb: Record<string, number>;
  perCluster: Record<string, { list: number; watchEnded: number }>;
}

/** `after - before`, summed over clusters. */
export function requestDelta(
  before: RequestSnapshot,
  after: RequestSnapshot,
): RequestDelta {
  const delta: RequestDelta = {
    list: 0,
    watchEnded: 0,
    openWatchesAtEnd: 0,
    openWatchesAdded: 0,
    byVerb: {},
    perCluster: {},
  };
  for (const [cluster, end] of Object.entries(after)) {
    const start = before[cluster] ?? { byVerb: {}, openWatches: 0 };
    const verb = (v: string) => (end.byVerb[v] ?? 0) - (start.byVerb[v] ?? 0);
    for (const v of Object.keys(end.byVerb)) {
      const d = verb(v);
      if (d !== 0) delta.byVerb[v] = (delta.byVerb[v] ?? 0) + d;
    }
    delta.perCluster[cluster] = {
      list: verb('LIST'),
      watchEnded: verb('WATCH'),
    };
    delta.list += verb('LIST');
    delta.watchEnded += verb('WATCH');
    delta.openWatchesAtEnd += end.openWatches;
    delta.openWatchesAdded += end.openWatches - start.openWatches;
  }
  return delta;
}

/** Non-watch requests (GET, LIST, ...) one apiserver has counted for every resource. */
export async function countAllRequests(cluster: ClusterInfo): Promise<number> {
  const text = await kubeRequest<string>(
    kubeConfigFor(cluster),
    'GET',
    '/metrics',
  );
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^apiserver_request_total\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!match) continue;
    const l = labels(match[1]);
    if (l.verb === 'WATCH' || l.verb === 'CONNECT') continue;
    total += Number(match[2]);
  }
  return total;
}
