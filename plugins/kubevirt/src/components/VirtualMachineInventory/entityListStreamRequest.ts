import type {
  EntityOrderQuery,
  StreamEntitiesRequest,
} from '@backstage/catalog-client';
import type { EntityFilter } from '@backstage/plugin-catalog-react';

type ListFilter = EntityFilter & {
  getFullTextFilters?: () => StreamEntitiesRequest['fullTextFilter'];
  getOrderFilters?: () => EntityOrderQuery;
};

/**
 * The catalog request for every entity an entity list's filters select, across all
 * pages: the same that @backstage/plugin-catalog's export button builds (its
 * `toStreamRequest` is not exported). Server-side filters are merged, empty value
 * lists dropped; the full-text and order filters are carried over.
 */
export function entityListStreamRequest(
  filters: Record<string, ListFilter | undefined>,
): StreamEntitiesRequest {
  const active = Object.values(filters).filter(
    (f): f is ListFilter => f !== undefined && f !== null,
  );
  const filter: Record<string, string | symbol | (string | symbol)[]> = {};
  for (const f of active) {
    for (const [key, value] of Object.entries(f.getCatalogFilters?.() ?? {})) {
      if (Array.isArray(value) ? value.length > 0 : value !== undefined) {
        filter[key] = value;
      }
    }
  }
  const request: StreamEntitiesRequest = {};
  if (Object.keys(filter).length > 0) {
    request.filter = filter;
  }
  const fullTextFilter = active
    .find(f => f.getFullTextFilters)
    ?.getFullTextFilters?.();
  if (fullTextFilter) {
    request.fullTextFilter = fullTextFilter;
  }
  const orderFields = active.find(f => f.getOrderFilters)?.getOrderFilters?.();
  if (orderFields) {
    request.orderFields = orderFields;
  }
  return request;
}
