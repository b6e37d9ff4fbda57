/**
 * The base class of every error the client API (src/client.ts) throws on purpose, wherever it is
 * defined: the client's own, the store's (an unknown tenant, a conflicting invoice), the
 * configuration's. A caller tells ours from anything unexpected with one `instanceof`. It lives
 * here, below every layer, so that the store can extend it without importing the client.
 */
export class XledgerSyncError extends Error {
  override name = 'XledgerSyncError';
}
