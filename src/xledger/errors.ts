/**
 * Every way an Xledger request can fail, cast to one typed error. Messages are built here
 * from Xledger's error codes and messages only — never from the request, whose headers carry
 * the token — so they are safe to log and to put in workflow history.
 */
export type XledgerErrorKind =
  /** The token is missing, unknown or revoked. Retrying cannot help. */
  | 'unauthorized'
  /** The token lacks a scope for a field. Retrying cannot help; `scope` names it. */
  | 'missing_scope'
  /** Burst or concurrency limit: wait `retryAfterMs`, then try again. */
  | 'rate_limited'
  /**
   * The token's hourly credit pool is spent (INSUFFICIENT_CREDITS): every request of the token
   * pauses for `retryAfterMs`, then the work resumes. Not the monthly allowance: that one is
   * billed, never refused (../shared/xledger-api.md, round three).
   */
  | 'credits_exhausted'
  /** "Your query timed out." — ask for fewer records per page. */
  | 'query_timeout'
  /** HTTP 5xx, connection reset, network timeout: retry with backoff. */
  | 'transient'
  /** The request itself is wrong (validation, bad argument). Retrying cannot help. */
  | 'invalid_request';

const retryableKinds: ReadonlySet<XledgerErrorKind> = new Set([
  'rate_limited',
  'credits_exhausted',
  'query_timeout',
  'transient',
]);

export interface XledgerErrorDetails {
  code?: string;
  status?: number;
  scope?: string;
  retryAfterMs?: number;
  /** Whether Xledger advised retryAfterMs (resetAt, retryAfter, Retry-After); else it is our default. */
  waitAdvised?: boolean;
  resetAt?: string;
  /** The response path of the field Xledger refused, e.g. ['deltas'] (an alias, when one was used). */
  path?: string[];
  /** The request provably never reached Xledger whole (its departure deadline passed: departure.ts). */
  neverSent?: boolean;
}

export class XledgerError extends Error {
  override name = 'XledgerError';
  readonly retryable: boolean;

  constructor(
    readonly kind: XledgerErrorKind,
    message: string,
    readonly details: XledgerErrorDetails = {},
  ) {
    super(message);
    this.retryable = retryableKinds.has(kind);
  }
}

/** One entry of a GraphQL `errors[]` as Xledger sends it (code at top level, or in extensions). */
export interface XledgerGraphQLError {
  message?: string;
  code?: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; scope?: string; resetAt?: string; [key: string]: unknown };
}

/**
 * A token the real API does not accept is answered with an `errors[]` entry whose message is
 * `Bad format for API Token. Expected header: "Authorization: token <your-token>"` and which has
 * no `code` (M: grasp-labs' tests), so it is recognised by its message as well as by a code or
 * HTTP 401. (A) the few other wordings matched beside the published one.
 */
const TOKEN_REFUSED = /\bbad format for api token\b|\b(invalid|unknown|expired|revoked) api token\b/i;

const BURST_RETRY_MS = 5_000;
const CONCURRENCY_RETRY_MS = 1_000;

/**
 * Spent credits without a hint of when they return: Xledger's own sample waits 20 minutes on
 * INSUFFICIENT_CREDITS (H); the client may configure another (XLEDGER_CREDITS_WAIT_SECONDS).
 */
export const CREDITS_WAIT_MS = 20 * 60_000;
/** The pool is hourly: refused "for up to approximately 1 hour" (M: Profitbase). A longer hint is capped. */
export const CREDITS_MAX_WAIT_MS = 60 * 60_000;

/** A wait Xledger advised (a `resetAt` instant, or seconds), within 1 s .. CREDITS_MAX_WAIT_MS; else undefined. */
export function advisedWaitMs(hint: { resetAt?: string; retryAfterSeconds?: number }, now = Date.now()) {
  let ms: number | undefined;
  if (hint.retryAfterSeconds !== undefined && Number.isFinite(hint.retryAfterSeconds))
    ms = hint.retryAfterSeconds * 1000;
  else if (hint.resetAt !== undefined && Number.isFinite(Date.parse(hint.resetAt)))
    ms = Date.parse(hint.resetAt) - now;
  return ms === undefined ? undefined : Math.min(Math.max(ms, 1_000), CREDITS_MAX_WAIT_MS);
}

/** A `Retry-After` header (seconds, or an HTTP date) as seconds from now; undefined when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+(\.\d+)?$/.test(header.trim())) return Number(header.trim());
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, (date - now) / 1000) : undefined;
}

/** The credits error for a request the client holds back itself while the token's pool is spent. */
export function creditsPaused(waitMs: number): XledgerError {
  return new XledgerError('credits_exhausted', creditsMessage(waitMs), {
    code: 'INSUFFICIENT_CREDITS',
    retryAfterMs: waitMs,
  });
}

function creditsMessage(waitMs: number): string {
  const minutes = Math.max(1, Math.round(waitMs / 60_000));
  return `Xledger's hourly credits for this token are spent: its requests pause for about ${minutes} min, then resume`;
}

export function errorFromGraphQLErrors(errors: readonly XledgerGraphQLError[], status: number): XledgerError {
  // The most actionable error wins: auth before scope before limits before the rest.
  const classified = errorsFromGraphQLErrors(errors, status);
  const order: XledgerErrorKind[] = [
    'unauthorized',
    'missing_scope',
    'credits_exhausted',
    'rate_limited',
    'query_timeout',
    'transient',
    'invalid_request',
  ];
  classified.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  return (
    classified[0] ??
    new XledgerError('transient', `Xledger answered HTTP ${status} without an error`, { status })
  );
}

/** Each entry of an `errors[]` cast on its own, in Xledger's order (for answers with partial data). */
export function errorsFromGraphQLErrors(
  errors: readonly XledgerGraphQLError[],
  status: number,
): XledgerError[] {
  return errors.map((error) => classifyOne(error, status));
}

function classifyOne(error: XledgerGraphQLError, status: number): XledgerError {
  const code = error.code ?? error.extensions?.code ?? '';
  const message = (error.message ?? '').slice(0, 500);
  const field = error.path?.length ? ` (field ${error.path.join('.')})` : '';
  if (
    status === 401 ||
    code === 'UNAUTHORIZED' ||
    code === 'UNAUTHENTICATED' ||
    (code === '' && TOKEN_REFUSED.test(message))
  ) {
    return new XledgerError('unauthorized', `Xledger refused the token: ${message || 'unauthorized'}`, {
      code,
      status,
    });
  }
  if (code === 'FORBIDDEN') {
    const scope = error.extensions?.scope ?? /scope\s+([A-Z_]+)/i.exec(message)?.[1];
    return new XledgerError(
      'missing_scope',
      `The Xledger token lacks the scope ${scope ?? '(unnamed)'}${field}: ${message}`,
      {
        code,
        status,
        ...(scope ? { scope } : {}),
        ...(error.path?.length ? { path: error.path.map(String) } : {}),
      },
    );
  }
  if (code.endsWith('INSUFFICIENT_CREDITS')) {
    const resetAt = typeof error.extensions?.resetAt === 'string' ? error.extensions.resetAt : undefined;
    const seconds = error.extensions?.retryAfter;
    const advised = advisedWaitMs({
      ...(resetAt ? { resetAt } : {}),
      ...(typeof seconds === 'number' ? { retryAfterSeconds: seconds } : {}),
    });
    const waitMs = advised ?? CREDITS_WAIT_MS;
    return new XledgerError('credits_exhausted', creditsMessage(waitMs), {
      code,
      status,
      retryAfterMs: waitMs,
      waitAdvised: advised !== undefined,
      ...(resetAt ? { resetAt } : {}),
    });
  }
  if (code.endsWith('BURST_RATE_LIMIT_REACHED')) {
    return new XledgerError('rate_limited', 'Xledger burst rate limit reached', {
      code,
      status,
      retryAfterMs: BURST_RETRY_MS,
    });
  }
  if (code.endsWith('CONCURRENCY_LIMIT_REACHED')) {
    return new XledgerError('rate_limited', 'Xledger concurrency limit reached', {
      code,
      status,
      retryAfterMs: CONCURRENCY_RETRY_MS,
    });
  }
  if (/query timed out/i.test(message)) {
    return new XledgerError('query_timeout', 'Xledger: your query timed out', { code, status });
  }
  if (status >= 500) {
    return new XledgerError('transient', `Xledger answered HTTP ${status}: ${message}`, { code, status });
  }
  return new XledgerError(
    'invalid_request',
    `Xledger rejected the request${field}: ${code ? `${code}: ` : ''}${message}`,
    {
      code,
      status,
      ...(error.path?.length ? { path: error.path.map(String) } : {}),
    },
  );
}

export function errorFromHttpStatus(status: number, bodySnippet: string): XledgerError {
  if (status === 401)
    return new XledgerError('unauthorized', 'Xledger refused the token (HTTP 401)', { status });
  if (status === 403)
    return new XledgerError('missing_scope', 'Xledger refused access (HTTP 403)', { status });
  if (status === 429) {
    return new XledgerError('rate_limited', 'Xledger rate limit (HTTP 429)', {
      status,
      retryAfterMs: BURST_RETRY_MS,
    });
  }
  const kind: XledgerErrorKind = status >= 500 || status === 408 ? 'transient' : 'invalid_request';
  return new XledgerError(kind, `Xledger answered HTTP ${status}: ${bodySnippet.slice(0, 200)}`, { status });
}

export function errorFromNetwork(cause: unknown, timeoutMs: number): XledgerError {
  if (cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError')) {
    return new XledgerError('transient', `Xledger did not answer within ${timeoutMs} ms`);
  }
  const code = (cause as { cause?: { code?: string } })?.cause?.code;
  const reason = code ?? (cause instanceof Error ? cause.message : String(cause));
  return new XledgerError('transient', `Could not reach Xledger: ${reason}`);
}
