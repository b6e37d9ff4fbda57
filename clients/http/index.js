import createClient from 'openapi-fetch';

/**
 * A client of xledger-sync's HTTP API: openapi-fetch typed by the generated `paths`
 * (openapi.d.ts), with the API key on every request. See index.d.ts.
 */
export function createXledgerSyncClient({ baseUrl, apiKey, fetch: fetchImpl, headers }) {
  if (typeof apiKey !== 'string' || !apiKey.startsWith('xs_')) {
    throw new TypeError('apiKey must be an xledger-sync API key (xs_…)');
  }
  return createClient({
    baseUrl,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    headers: { ...headers, authorization: `Bearer ${apiKey}` },
  });
}
