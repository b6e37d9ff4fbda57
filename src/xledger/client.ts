import { ClientError, GraphQLClient } from 'graphql-request';
import {
  errorFromGraphQLErrors,
  errorFromHttpStatus,
  errorFromNetwork,
  XledgerError,
  type XledgerGraphQLError,
} from './errors';
import { sleep, type GateQueue, type RequestGate } from './request-gate';

export interface XledgerClientOptions {
  endpoint: string;
  token: string;
  requestTimeoutMs: number;
  gate: RequestGate;
  /** How often a rate-limited request is retried in place before the error goes up. */
  maxRateLimitRetries?: number;
}

/** What a client has cost so far: Xledger charges per request and per MB. */
export interface XledgerUsage {
  requests: number;
  bytesSent: number;
  bytesReceived: number;
}

/**
 * The one Xledger GraphQL client: `Authorization: token …`, a request timeout, the tenant's
 * request gate, byte counting, and every failure cast to an XledgerError. It knows nothing of
 * Temporal or MongoDB.
 */
export class XledgerClient {
  readonly usage: XledgerUsage = { requests: 0, bytesSent: 0, bytesReceived: 0 };
  private readonly graphql: GraphQLClient;

  constructor(private readonly options: XledgerClientOptions) {
    this.graphql = new GraphQLClient(options.endpoint, {
      headers: { Authorization: `token ${options.token}` },
      fetch: (input, init) => this.countingFetch(input, init),
    });
  }

  /** How this token's request queue in this worker stands (see RequestGate). */
  queue(): GateQueue {
    return this.options.gate.queue();
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const maxRetries = this.options.maxRateLimitRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.options.gate.run(() => this.send<T>(query, variables));
      } catch (error) {
        if (error instanceof XledgerError && error.kind === 'rate_limited' && attempt < maxRetries) {
          const wait = error.details.retryAfterMs ?? 1_000;
          this.options.gate.holdBack(wait);
          await sleep(wait);
          continue;
        }
        throw error;
      }
    }
  }

  private async send<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    try {
      return await this.graphql.request<T>(query, variables);
    } catch (error) {
      throw this.cast(error);
    }
  }

  private cast(error: unknown): XledgerError {
    if (error instanceof XledgerError) return error;
    if (error instanceof ClientError) {
      const errors = (error.response.errors ?? []) as XledgerGraphQLError[];
      const status = error.response.status;
      if (errors.length > 0) return errorFromGraphQLErrors(errors, status);
      const body = typeof error.response.body === 'string' ? error.response.body : '';
      return errorFromHttpStatus(status, body);
    }
    return errorFromNetwork(error, this.options.requestTimeoutMs);
  }

  private async countingFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    this.usage.requests += 1;
    if (typeof init?.body === 'string') this.usage.bytesSent += Buffer.byteLength(init.body);
    let response: Response;
    let body: ArrayBuffer;
    try {
      response = await fetch(input, { ...init, signal: AbortSignal.timeout(this.options.requestTimeoutMs) });
      body = await response.arrayBuffer();
    } catch (error) {
      throw errorFromNetwork(error, this.options.requestTimeoutMs);
    }
    this.usage.bytesReceived += body.byteLength;
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }
}
