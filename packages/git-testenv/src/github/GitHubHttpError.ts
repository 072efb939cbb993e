/*
 * An error reply in the shape GitHub's REST API uses: a message, optional validation
 * errors and a documentation link.
 */

/** The documentation link GitHub puts in its error replies. @internal */
export const DOCUMENTATION_URL = 'https://docs.github.com/rest';

/** One item of a 422 "Validation Failed" reply. @internal */
export interface GitHubValidationError {
  resource: string;
  code: string;
  field?: string;
  message?: string;
}

/** Thrown by route handlers; the server turns it into the JSON reply. @internal */
export class GitHubHttpError extends Error {
  readonly status: number;
  readonly errors?: GitHubValidationError[];

  constructor(
    status: number,
    message: string,
    errors?: GitHubValidationError[],
  ) {
    super(message);
    this.name = 'GitHubHttpError';
    this.status = status;
    this.errors = errors;
  }

  static notFound(message = 'Not Found') {
    return new GitHubHttpError(404, message);
  }

  static unprocessable(message: string) {
    return new GitHubHttpError(422, message);
  }

  static validationFailed(...errors: GitHubValidationError[]) {
    return new GitHubHttpError(422, 'Validation Failed', errors);
  }

  toJSON() {
    return {
      message: this.message,
      ...(this.errors ? { errors: this.errors } : {}),
      documentation_url: DOCUMENTATION_URL,
    };
  }
}
