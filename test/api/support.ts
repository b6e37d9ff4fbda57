/**
 * The HTTP API on the run's real servers for test/api: the harness's MongoDB, Temporal and
 * simulator, the server started in-process as `xledger-sync api` starts it (startApi), keys made
 * in its store, and the generated slim client (clients/http) talking to it over HTTP.
 */
import { startApi, type RunningApi } from '../../src/api/main';
import type { Config } from '../../src/config';
import { createApiKey, type ApiKeyScope } from '../../src/store/api-keys';
import { createXledgerSyncClient } from '../../clients/http/index.js';
import type { Harness } from '../support/harness';
import { apiConfig } from '../tenants/support';

export type HttpClient = ReturnType<typeof createXledgerSyncClient>;

/** The harness's configuration for an API on a free loopback port. */
export function apiServerConfig(h: Harness, api: Partial<Config['api']> = {}): Config {
  return { ...apiConfig(h), api: { port: 0, host: '127.0.0.1', rateLimitPerMinute: 10_000, ...api } };
}

export async function startTestApi(h: Harness, api: Partial<Config['api']> = {}): Promise<RunningApi> {
  return startApi(apiServerConfig(h, api));
}

/** A new key in the harness's store, and a generated client that presents it. */
export async function clientWithKey(
  h: Harness,
  api: RunningApi,
  scope: ApiKeyScope,
  tenants: string[] | null = null,
): Promise<{ client: HttpClient; key: string; keyId: string }> {
  const { key, apiKey } = await createApiKey(h.store.db, { scope, tenants, name: `test ${scope}` });
  return { client: createXledgerSyncClient({ baseUrl: api.url, apiKey: key }), key, keyId: apiKey.id };
}
