/**
 * React Query's retry policy: a 4xx (validation, forbidden, not found, conflict) answers the same the second
 * time, so only network failures and 5xx are retried — once. Retrying a handled error kept stale results on
 * screen for over a second.
 */
export function retryUnlessClientError(failureCount: number, error: unknown): boolean {
  return failureCount < 1 && !isClientError(error);
}

export function isClientError(error: unknown): boolean {
  const data = (error as { data?: { httpStatus?: unknown } } | null)?.data;
  const status = typeof data?.httpStatus === "number" ? data.httpStatus : (error as { status?: unknown } | null)?.status;
  return typeof status === "number" && status >= 400 && status < 500;
}
