/*
 * Method + path matching for the API's routes, on raw path segments so that an encoded
 * slash inside a parameter (octokit sends `heads%2Fmain` for `{ref}`) stays one value.
 */

/** A parsed request, as route handlers see it. @internal */
export interface ApiRequest {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** The Accept header: `application/vnd.github.raw` asks for a file's bytes. */
  accept?: string;
}

/**
 * What a route handler answers; `body` undefined means no body, a Buffer is sent as
 * it is (a raw file), anything else as JSON. @internal
 */
export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** @internal */
export type RouteHandler = (request: ApiRequest) => Promise<ApiResponse>;

/** @internal */
export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Like `/repos/:owner/:repo/contents/*path`; a `*name` segment takes the rest. */
  path: string;
  handler: RouteHandler;
}

function matchPath(
  pattern: string[],
  segments: string[],
): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i];
    if (part.startsWith('*')) {
      const rest = segments.slice(i);
      if (rest.length === 0) {
        return undefined;
      }
      params[part.slice(1)] = rest.map(decodeURIComponent).join('/');
      return params;
    }
    if (i >= segments.length) {
      return undefined;
    }
    if (part.startsWith(':')) {
      params[part.slice(1)] = decodeURIComponent(segments[i]);
    } else if (part !== segments[i]) {
      return undefined;
    }
  }
  return pattern.length === segments.length ? params : undefined;
}

/** @internal */
export class Router {
  private readonly routes: { route: Route; pattern: string[] }[] = [];

  constructor(routes: Route[]) {
    for (const route of routes) {
      this.routes.push({
        route,
        pattern: route.path.split('/').filter(Boolean),
      });
    }
  }

  /** Finds the route for a method and a path below the API prefix; HEAD uses GET's. */
  match(
    method: string,
    path: string,
  ): { handler: RouteHandler; params: Record<string, string> } | undefined {
    const wanted = method === 'HEAD' ? 'GET' : method;
    const segments = path.split('/').filter(Boolean);
    for (const { route, pattern } of this.routes) {
      if (route.method !== wanted) {
        continue;
      }
      let params: Record<string, string> | undefined;
      try {
        params = matchPath(pattern, segments);
      } catch {
        // A malformed percent-escape matches nothing.
        return undefined;
      }
      if (params) {
        return { handler: route.handler, params };
      }
    }
    return undefined;
  }
}
