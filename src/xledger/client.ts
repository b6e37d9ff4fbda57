import { ClientError, GraphQLClient } from 'graphql-request';
import {
  CREDITS_WAIT_MS,
  errorFromGraphQLErrors,
  errorsFromGraphQLErrors,
  XledgerError,
  type XledgerGraphQLError,
} from './errors';
import { castRequestError, withHints } from './cast-request-error';
import { httpExchange } from './http-exchange';
import type { XledgerRequestObserver, XledgerUsage } from './usage';
import { multipartBody, type UploadFile } from './file-upload';
import { mergeQueries, type QueryPart } from './merge-queries';
import { takeRateLimit, withRateLimit } from './rate-limit';
import type { BatchSlot } from './request-batch';
import { sleep, type GateQueue, type RequestGate } from './request-gate';
import { endpointProblem, type EndpointPolicy } from '../security/endpoint-policy';

export interface XledgerClientOptions {
  endpoint: string;
  token: string;
  /** Where the token may go: checked before the client is made (config.xledger.endpointPolicy). */
  endpointPolicy: EndpointPolicy;
  requestTimeoutMs: number;
  gate: RequestGate;
  /** How often a rate-limited request is retried in place before the error goes up. */
  maxRateLimitRetries?: number;
  /**
   * How long the token's requests pause when its credits are spent and Xledger gives no hint
   * (no Retry-After, resetAt or retryAfter); default CREDITS_WAIT_MS (XLEDGER_CREDITS_WAIT_SECONDS).
   */
  creditsWaitMs?: number;
  /**
   * The tenant's Xledger has `rateLimit { remaining cost }` (schema-check.ts): every query asks
   * for it, and the token pauses before its credit pool is empty (rate-limit.ts).
   */
  readRateLimit?: boolean;
  /** This client's first request goes out together with other clients' (request-batch.ts). */
  batch?: BatchSlot;
  /** Told of every request, its bytes and rate-limit waits (the worker's metrics). */
  observer?: XledgerRequestObserver;
}

/**
 * One part's outcome in a merged request: its answer, its own error, or `alone` — another
 * part's error took the whole answer with it (a non-null field), so this one must be sent again
 * on its own.
 */
export type PartOutcome = { data: Record<string, unknown> } | { error: XledgerError } | { alone: true };

/** How one request may be sent. */
export interface RequestOptions {
  /**
   * The request must have left by then, or it is not sent (departure.ts): for a create whose
   * answer may be lost, so that it cannot reach Xledger after the moment its settle window
   * counts from. Such a request is never batched or merged.
   */
  leavesBy?: Date;
}

/** Longer Retry-After waits are not slept through in place: the gate is suspended instead. */
const MAX_WAIT_IN_PLACE_MS = 10_000;

/** A shared query whose answer was lost to another part's error: sent again on its own. */
class SendAlone extends Error {}

/**
 * An answer that ran but in which some fields failed: what data came back (null when a failed
 * non-null field took the whole answer with it) and each field's error, cast on its own.
 */
export interface PartialAnswer<T> {
  data: T | null;
  fieldErrors: XledgerError[];
}

/**
 * The one Xledger GraphQL client: `Authorization: token …`, a request timeout, the tenant's
 * request gate, byte counting, and every failure cast to an XledgerError. It knows nothing of
 * Temporal or MongoDB.
 */
export class XledgerClient {
  readonly usage: XledgerUsage = { requests: 0, bytesSent: 0, bytesReceived: 0 };
  private readonly graphql: GraphQLClient;
  /** Xledger refused `rateLimit` after all (its schema changed since the check): not asked again. */
  private rateLimitRefused = false;

  constructor(private readonly options: XledgerClientOptions) {
    // A stored endpoint is checked again here: a policy tightened since the tenant was saved
    // must stop its token before the first request.
    const problem = endpointProblem(options.endpoint, options.endpointPolicy);
    if (problem) throw new XledgerError('invalid_request', `The Xledger endpoint is not allowed: ${problem}`);
    this.graphql = this.graphqlClient();
  }

  /** How this token's request queue in this worker stands (see RequestGate). */
  queue(): GateQueue {
    return this.options.gate.queue();
  }

  async request<T>(
    query: string,
    variables: Record<string, unknown> = {},
    options: RequestOptions = {},
  ): Promise<T> {
    const batch = this.options.batch;
    if (batch?.open && !options.leavesBy)
      return (await batch.join(this, { document: query, variables })) as T;
    return this.withRetries(() => this.send<T>(query, variables, options.leavesBy));
  }

  /**
   * A request that carries a file (file-upload.ts: multipart, the file named by its file name),
   * through the same gate, retries, timeout, metrics (the file's bytes count as sent) and error
   * casting as request(). Never batched or merged.
   */
  async requestWithFile<T>(
    query: string,
    variables: Record<string, unknown>,
    file: UploadFile,
    options: RequestOptions = {},
  ): Promise<T> {
    return this.withRetries(() => this.sendWithFile<T>(query, variables, file, options.leavesBy));
  }

  /** A client like this one (same endpoint, token and gate) whose first request joins `batch`. */
  batchedWith(batch: BatchSlot): XledgerClient {
    return new XledgerClient({ ...this.options, batch });
  }

  /**
   * A read-only query that may share one request with other such queries of the same token
   * that wait for the token's gate at the same moment (mergeQueries): when the budget makes
   * requests queue — many invoices in flight — one request answers several. Alone, it goes
   * out as it is. Errors are this query's own, as with request().
   */
  async requestShared<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    try {
      const outcome = await this.retryingRateLimits(() =>
        this.options.gate.runTogether<QueryPart, Record<string, unknown>>(
          'shared-query',
          { document: query, variables },
          async (parts) =>
            (await this.observed(() => this.sendMerged(parts))).map((o) =>
              'error' in o ? o.error : 'alone' in o ? new SendAlone() : o.data,
            ),
        ),
      );
      return outcome as T;
    } catch (error) {
      if (error instanceof SendAlone) return this.request<T>(query, variables);
      throw error;
    }
  }

  /** Several queries in one request (sendMerged), through the gate. */
  async requestMerged(parts: readonly QueryPart[]): Promise<PartOutcome[]> {
    return this.withRetries(() => this.sendMerged(parts));
  }

  /**
   * Several queries in one request (operations.ts, mergeQueries); one outcome per part, in
   * order. A field error belongs to the part whose alias its path starts with, and fails only
   * that part, cast as if the part had been sent alone; an error about the whole request (the
   * token, limits, HTTP, the network) is thrown, as it would have failed each part alone. A
   * lone part is sent as it is (and any error of it thrown).
   */
  private async sendMerged(parts: readonly QueryPart[]): Promise<PartOutcome[]> {
    if (parts.length === 1) {
      const [part] = parts as [QueryPart];
      return [{ data: await this.send<Record<string, unknown>>(part.document, part.variables) }];
    }
    const merged = mergeQueries(parts);
    const own = (data: Record<string, unknown> | null | undefined, index: number) => {
      const prefix = merged.prefix(index);
      const answer: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(data ?? {}))
        if (key.startsWith(prefix)) answer[key.slice(prefix.length)] = value;
      return answer;
    };
    try {
      const data = await this.graphqlRequest<Record<string, unknown>>(merged.document, merged.variables);
      return parts.map((_, index) => ({ data: own(data, index) }));
    } catch (error) {
      if (!(error instanceof ClientError)) throw this.cast(error);
      const errors = (error.response.errors ?? []) as XledgerGraphQLError[];
      const status = error.response.status;
      const data = error.response.data as Record<string, unknown> | null | undefined;
      const partOf = (entry: XledgerGraphQLError) =>
        parts.findIndex((_, index) => String(entry.path?.[0] ?? '').startsWith(merged.prefix(index)));
      if (status >= 400 || errors.length === 0 || errors.some((entry) => partOf(entry) < 0)) {
        throw this.cast(error);
      }
      // Limits and a refused token are about the whole request, even when they name a field.
      const wholeRequest = errorsFromGraphQLErrors(errors, status).find((entry) =>
        ['unauthorized', 'rate_limited', 'credits_exhausted'].includes(entry.kind),
      );
      if (wholeRequest) throw withHints(wholeRequest, error.response.headers, this.options.creditsWaitMs);
      return parts.map((_, index): PartOutcome => {
        const prefix = merged.prefix(index);
        const ownErrors = errors
          .filter((entry) => partOf(entry) === index)
          .map((entry) => ({
            ...entry,
            path: [String(entry.path![0]).slice(prefix.length), ...entry.path!.slice(1)],
          }));
        if (ownErrors.length > 0) return { error: errorFromGraphQLErrors(ownErrors, status) };
        return data ? { data: own(data, index) } : { alone: true };
      });
    }
  }

  /**
   * Like request(), but an answer whose errors all name a field (the request ran; those fields
   * failed) is returned with each error cast on its own, instead of thrown as one. A request
   * refused as a whole (no field named: auth, limits, validation) still throws. For probes that
   * ask many fields at once and want to know which of them failed.
   */
  async requestAllowingFieldErrors<T>(
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<PartialAnswer<T>> {
    return this.withRetries(async () => {
      try {
        return { data: await this.graphqlRequest<T>(query, variables), fieldErrors: [] };
      } catch (error) {
        if (error instanceof ClientError) {
          const errors = (error.response.errors ?? []) as XledgerGraphQLError[];
          const status = error.response.status;
          const fieldErrors = status < 400 ? errorsFromGraphQLErrors(errors, status) : [];
          if (errors.length > 0 && errors.every((entry) => entry.path?.length) && fieldErrors.length > 0) {
            // Limits and a refused token are about the whole request, even when they name a field.
            const wholeRequest = fieldErrors.find((entry) =>
              ['unauthorized', 'rate_limited', 'credits_exhausted'].includes(entry.kind),
            );
            if (wholeRequest)
              throw withHints(wholeRequest, error.response.headers, this.options.creditsWaitMs);
            return { data: (error.response.data as T | undefined) ?? null, fieldErrors };
          }
        }
        throw this.cast(error);
      }
    });
  }

  /** One request through the gate, observed, its rate-limit refusals waited out in place. */
  private withRetries<T>(send: () => Promise<T>): Promise<T> {
    return this.retryingRateLimits(() => this.options.gate.run(() => this.observed(send)));
  }

  private async retryingRateLimits<T>(attempt: () => Promise<T>): Promise<T> {
    const maxRetries = this.options.maxRateLimitRetries ?? 3;
    for (let retries = 0; ; retries++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof XledgerError)) throw error;
        const wait = error.details.retryAfterMs ?? 1_000;
        if (
          error.kind === 'credits_exhausted' ||
          (error.kind === 'rate_limited' && wait > MAX_WAIT_IN_PLACE_MS)
        ) {
          // The token's requests pause (in this worker) and the caller comes back after the wait.
          await this.options.gate.suspend(wait, error.kind);
          this.options.observer?.rateLimitWait(wait);
          throw error;
        }
        if (error.kind === 'rate_limited' && retries < maxRetries) {
          this.options.gate.holdBack(wait);
          this.options.observer?.rateLimitWait(wait);
          await sleep(wait);
          continue;
        }
        throw error;
      }
    }
  }

  private async observed<T>(send: () => Promise<T>): Promise<T> {
    const observer = this.options.observer;
    if (!observer) return send();
    const started = performance.now();
    try {
      const answer = await send();
      observer.request({ durationMs: performance.now() - started });
      return answer;
    } catch (error) {
      const kind = error instanceof XledgerError ? error.kind : 'transient';
      observer.request({ durationMs: performance.now() - started, error: kind });
      throw error;
    }
  }

  private async send<T>(query: string, variables: Record<string, unknown>, leavesBy?: Date): Promise<T> {
    try {
      return await this.graphqlRequest<T>(query, variables, leavesBy);
    } catch (error) {
      throw this.cast(error);
    }
  }

  private async sendWithFile<T>(
    query: string,
    variables: Record<string, unknown>,
    file: UploadFile,
    leavesBy?: Date,
  ): Promise<T> {
    const { body, contentType } = await multipartBody(query, variables, file);
    try {
      const response = await this.countingFetch(
        this.options.endpoint,
        {
          method: 'POST',
          headers: {
            Authorization: `token ${this.options.token}`,
            'content-type': contentType,
            accept: 'application/graphql-response+json, application/json',
          },
          body,
        },
        leavesBy,
      );
      const text = await response.text();
      type Answer = { data?: T | null; errors?: XledgerGraphQLError[] };
      let answer: Answer | null;
      try {
        answer = JSON.parse(text) as Answer | null;
      } catch {
        answer = null;
      }
      if (response.ok && answer?.data && !answer.errors?.length) return answer.data;
      // Cast as graphql-request's failures are (the same ClientError, without the file).
      throw new ClientError(
        { ...(answer ?? {}), status: response.status, headers: response.headers, body: text } as never,
        { query, variables },
      );
    } catch (error) {
      throw this.cast(error);
    }
  }

  /**
   * One GraphQL request; where the tenant's schema has `rateLimit`, the query asks for the
   * credit pool too, and the gate hears of it (rate-limit.ts) before the caller gets the answer.
   */
  private async graphqlRequest<T>(
    query: string,
    variables: Record<string, unknown>,
    leavesBy?: Date,
  ): Promise<T> {
    const graphql = leavesBy ? this.graphqlClient(leavesBy) : this.graphql;
    if (!this.options.readRateLimit || this.rateLimitRefused) return graphql.request<T>(query, variables);
    const document = withRateLimit(query);
    if (document === query) return graphql.request<T>(query, variables);
    try {
      const data = await graphql.request<T>(document, variables);
      await this.noteCredits(data);
      return data;
    } catch (error) {
      if (error instanceof ClientError) {
        const refused = (error.response.errors ?? []).some((entry) =>
          /Cannot query field "rateLimit"/.test(entry.message),
        );
        if (refused) {
          // Xledger dropped the field since the schema check: the request goes again without it.
          this.rateLimitRefused = true;
          return graphql.request<T>(query, variables);
        }
        await this.noteCredits(error.response.data);
      }
      throw error;
    }
  }

  /** The token's GraphQL client; with `leavesBy`, one whose requests leave by then or never (departure.ts). */
  private graphqlClient(leavesBy?: Date): GraphQLClient {
    return new GraphQLClient(this.options.endpoint, {
      headers: { Authorization: `token ${this.options.token}` },
      fetch: (input, init) => this.countingFetch(input, init, leavesBy),
    });
  }

  private async noteCredits(data: unknown): Promise<void> {
    const figures = takeRateLimit(data);
    if (figures) await this.options.gate.noteCredits(figures, this.options.creditsWaitMs ?? CREDITS_WAIT_MS);
  }

  private cast(error: unknown): XledgerError {
    return castRequestError(error, this.options);
  }

  private countingFetch(input: string | URL | Request, init?: RequestInit, leavesBy?: Date) {
    return httpExchange(this.options, this.usage, input, init, leavesBy);
  }
}
