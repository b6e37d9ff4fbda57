import type { Client } from 'openapi-fetch';
import type { components, operations, paths } from './openapi.js';

export type { components, operations, paths };

/** Every error answer of the API: RFC 9457 problem details. */
export type Problem = components['schemas']['Problem'];

export interface XledgerSyncClientOptions {
  /** Where the API listens, e.g. `https://xledger-sync.internal:8080`. */
  baseUrl: string;
  /** `xs_<keyId>_<secret>`, from `xledger-sync keys create`. */
  apiKey: string;
  /** A fetch of your own (tests, proxies); default: the global fetch. */
  fetch?: (input: Request) => Promise<Response>;
  headers?: Record<string, string>;
}

/**
 * A typed client of xledger-sync's HTTP API (openapi-fetch): `client.GET('/v1/tenants/{tenantId}',
 * { params: { path: { tenantId } } })` answers `{ data }` or `{ error }` (a Problem), typed per route.
 */
export declare function createXledgerSyncClient(options: XledgerSyncClientOptions): Client<paths>;
