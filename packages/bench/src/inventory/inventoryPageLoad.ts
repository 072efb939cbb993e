import { performance } from 'node:perf_hooks';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  KUBEVIRT_ENTITY_LABELS,
  VIRTUAL_MACHINE_COMPONENT_TYPE,
  VirtualMachineLiveState,
  VirtualMachineStatesResponse,
} from '@vmportal/plugin-kubevirt-common';

/** A filter of the VM view: one cluster and one OS. */
export interface InventoryFilter {
  cluster: string;
  os: string;
}

/** What one page of a filter must show: its entity names in order, each VM's status. */
export interface PageExpectation {
  names: string[];
  /** `printableStatus` by entity name (Running, Stopped). */
  status: ReadonlyMap<string, string>;
  /** VMs the filter matches, as the count query must say. */
  total: number;
}

/** How long one page load took, in milliseconds, and its parts. */
export interface PageLoadTimings {
  page: 1 | 2;
  totalMs: number;
  /** The page of entities (`GET /entities/by-query`). */
  catalogMs: number;
  /** Page 1 only: the count query sent beside it. */
  countMs?: number;
  /** `POST /kubevirt/v1/inventory/states` for the page's rows. */
  statesMs: number;
  /** Rows that came with IP addresses (running VMs). */
  rowsWithAddresses: number;
}

interface QueryEntitiesResponse {
  items: Entity[];
  totalItems: number;
  pageInfo: { nextCursor?: string; prevCursor?: string };
}

/**
 * The catalog query of a filter's first page, as catalog-react's paginated entity
 * list sends it: server-side filters on the entity labels, ordered by name, without
 * the total (the list asks for that separately, see {@link countQuery}).
 */
export function firstPageQuery(
  filter: InventoryFilter,
  limit: number,
): URLSearchParams {
  return new URLSearchParams({
    filter: [
      'kind=component',
      `spec.type=${VIRTUAL_MACHINE_COMPONENT_TYPE}`,
      `metadata.labels.${KUBEVIRT_ENTITY_LABELS.cluster}=${filter.cluster}`,
      `metadata.labels.${KUBEVIRT_ENTITY_LABELS.os}=${filter.os}`,
    ].join(','),
    limit: String(limit),
    orderField: 'metadata.name,asc',
    totalItems: 'exclude',
  });
}

/** The count catalog-react's paginated list sends when a filter changes: no rows, the total. */
export function countQuery(filter: InventoryFilter): URLSearchParams {
  const params = firstPageQuery(filter, 0);
  params.delete('totalItems');
  return params;
}

/** A later page: the cursor holds the filter and the order. */
export function cursorQuery(cursor: string, limit: number): URLSearchParams {
  return new URLSearchParams({
    cursor,
    limit: String(limit),
    totalItems: 'exclude',
  });
}

/**
 * The two backend calls of the VM view, as a signed-in user: the catalog's by-query
 * and the kubevirt backend's live-state batch.
 */
export class InventoryClient {
  constructor(
    private readonly baseUrl: string,
    private readonly authorization: string,
  ) {}

  async queryEntities(
    params: URLSearchParams,
    signal: AbortSignal,
  ): Promise<QueryEntitiesResponse> {
    const response = await fetch(
      `${this.baseUrl}/api/catalog/entities/by-query?${params}`,
      { headers: { Authorization: this.authorization }, signal },
    );
    return this.json<QueryEntitiesResponse>('catalog by-query', response);
  }

  async states(
    entityRefs: string[],
    signal: AbortSignal,
  ): Promise<VirtualMachineLiveState[]> {
    const response = await fetch(
      `${this.baseUrl}/api/kubevirt/v1/inventory/states`,
      {
        method: 'POST',
        headers: {
          Authorization: this.authorization,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({ entityRefs }),
        signal,
      },
    );
    const body = await this.json<VirtualMachineStatesResponse>(
      'inventory states',
      response,
    );
    return body.items;
  }

  private async json<T>(what: string, response: Response): Promise<T> {
    const text = await response.text();
    if (response.status !== 200) {
      throw new Error(
        `${what} answered ${response.status}: ${text.slice(0, 300)}`,
      );
    }
    return JSON.parse(text) as T;
  }
}

/** Throws, naming the first row that differs, unless the page shows `expected`. */
function checkRows(entities: Entity[], expected: PageExpectation) {
  const names = entities.map(e => e.metadata.name);
  const differs = expected.names.findIndex((name, i) => names[i] !== name);
  if (names.length !== expected.names.length || differs >= 0) {
    throw new Error(
      `the page showed ${names.length} rows, expected ${expected.names.length}; row ${differs} is ${names[differs]}, expected ${expected.names[differs]}`,
    );
  }
}

function checkStates(
  entities: Entity[],
  states: VirtualMachineLiveState[],
  expected: PageExpectation,
): number {
  if (states.length !== entities.length) {
    throw new Error(
      `the states batch answered ${states.length} items for ${entities.length} refs`,
    );
  }
  let withAddresses = 0;
  entities.forEach((entity, i) => {
    const state = states[i];
    const want = expected.status.get(entity.metadata.name);
    if (state.printableStatus !== want) {
      throw new Error(
        `${state.entityRef}: printableStatus ${state.printableStatus} (gap ${state.gap}: ${state.message}), expected ${want}`,
      );
    }
    if (want === 'Running') {
      if (!state.ipAddresses?.length || !state.node) {
        throw new Error(
          `${state.entityRef} is Running but came without IP addresses or node`,
        );
      }
      withAddresses += 1;
    }
  });
  return withAddresses;
}

/**
 * One page load of the VM view: the page of entities (for page 1, with the count
 * query beside it), then the live states of its rows. Throws when any answer is not
 * what the filter must show.
 */
export async function loadPage(
  client: InventoryClient,
  load: {
    filter: InventoryFilter;
    pageSize: number;
    /** Page 2: the first page's cursor. */
    cursor?: string;
  },
  expected: PageExpectation,
  signal: AbortSignal,
): Promise<PageLoadTimings> {
  const startedAt = performance.now();
  const page = load.cursor ? 2 : 1;
  let countMs: number | undefined;
  const counted =
    page === 1
      ? client.queryEntities(countQuery(load.filter), signal).then(answer => {
          countMs = performance.now() - startedAt;
          if (answer.totalItems !== expected.total) {
            throw new Error(
              `the count query said ${answer.totalItems}, expected ${expected.total}`,
            );
          }
        })
      : Promise.resolve();
  // Not left unhandled while the rows load; awaited below.
  counted.catch(() => undefined);
  const rows = await client.queryEntities(
    load.cursor
      ? cursorQuery(load.cursor, load.pageSize)
      : firstPageQuery(load.filter, load.pageSize),
    signal,
  );
  const catalogMs = performance.now() - startedAt;
  checkRows(rows.items, expected);
  const statesStartedAt = performance.now();
  const states = await client.states(
    rows.items.map(e => stringifyEntityRef(e)),
    signal,
  );
  const statesMs = performance.now() - statesStartedAt;
  const rowsWithAddresses = checkStates(rows.items, states, expected);
  await counted;
  return {
    page,
    totalMs: performance.now() - startedAt,
    catalogMs,
    ...(countMs !== undefined && { countMs }),
    statesMs,
    rowsWithAddresses,
  };
}

/** The cursor of a filter's second page (a first-page query, not measured). */
export async function secondPageCursor(
  client: InventoryClient,
  filter: InventoryFilter,
  pageSize: number,
  signal: AbortSignal,
): Promise<string> {
  const answer = await client.queryEntities(
    firstPageQuery(filter, pageSize),
    signal,
  );
  if (!answer.pageInfo.nextCursor) {
    throw new Error(
      `the first page of ${filter.cluster} / ${filter.os} has no next cursor (${answer.items.length} rows)`,
    );
  }
  return answer.pageInfo.nextCursor;
}
