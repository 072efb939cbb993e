/*
 * Field readers for JSON request bodies that fail the way GitHub does: 422 naming the
 * field that is missing or of the wrong type.
 */
import { GitHubHttpError } from './GitHubHttpError';

/** @internal */
export type JsonBody = Record<string, unknown>;

/** The body as an object; anything else is a 422 like GitHub's. @internal */
export function objectBody(body: unknown): JsonBody {
  if (body === undefined || body === null) {
    return {};
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw GitHubHttpError.unprocessable(
      'Invalid request.\n\nFor properties, the body must be an object.',
    );
  }
  return body as JsonBody;
}

function invalid(field: string, expected: string): never {
  throw GitHubHttpError.unprocessable(
    `Invalid request.\n\nFor '${field}', ${expected}.`,
  );
}

/** @internal */
export function requiredString(body: JsonBody, field: string): string {
  const value = body[field];
  if (value === undefined || value === null) {
    throw GitHubHttpError.unprocessable(
      `Invalid request.\n\n"${field}" wasn't supplied.`,
    );
  }
  if (typeof value !== 'string') {
    invalid(field, `${JSON.stringify(value)} is not a string`);
  }
  return value;
}

/** @internal */
export function optionalString(
  body: JsonBody,
  field: string,
): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string') {
    invalid(field, `${JSON.stringify(value)} is not a string`);
  }
  return value;
}

/** @internal */
export function optionalBoolean(
  body: JsonBody,
  field: string,
): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'boolean') {
    invalid(field, `${JSON.stringify(value)} is not a boolean`);
  }
  return value;
}

/** @internal */
export function optionalStringArray(
  body: JsonBody,
  field: string,
): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (!Array.isArray(value) || value.some(item => typeof item !== 'string')) {
    invalid(field, `${JSON.stringify(value)} is not an array of strings`);
  }
  return value as string[];
}

/** A positive integer path parameter such as a pull request number, else 404. @internal */
export function numberParam(value: string): number {
  if (!/^[1-9]\d{0,9}$/.test(value)) {
    throw GitHubHttpError.notFound();
  }
  return Number(value);
}

/** `per_page` (default 30, at most 100) and `page` (from 1) query parameters. @internal */
export function pageParams(query: URLSearchParams) {
  const perPage = Math.min(
    Math.max(Number(query.get('per_page') ?? 30) || 30, 1),
    100,
  );
  const page = Math.max(Number(query.get('page') ?? 1) || 1, 1);
  return { perPage, page, skip: (page - 1) * perPage };
}
