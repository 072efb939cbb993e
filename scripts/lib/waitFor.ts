import { waitUntil } from '@vmportal/kube-testenv';

/** Resolves once `url` answers with any HTTP status below 500. */
export async function waitForHttp(
  url: string,
  timeoutMs: number,
): Promise<void> {
  await waitUntil(
    url,
    timeoutMs,
    async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      return response.status < 500 ? true : undefined;
    },
    500,
  );
}
