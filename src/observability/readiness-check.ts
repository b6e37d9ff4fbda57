/** A readiness check waits this long for Temporal or MongoDB (a probe's timeout is longer). */
export const CHECK_TIMEOUT_MS = 3_000;

/**
 * One readiness check (the worker's and the HTTP API's /readyz): 'ok', or why not — a timeout,
 * or the error's class, never its message (it may name a host).
 */
export async function check(call: () => Promise<unknown>, timeoutMs = CHECK_TIMEOUT_MS): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs / 1000} s`), timeoutMs);
  });
  const answer = call().then(
    () => 'ok',
    (error: unknown) => `failing (${error instanceof Error ? error.name : 'error'})`,
  );
  try {
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
