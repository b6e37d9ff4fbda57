/**
 * Helpers for the tenant and CLI tests: the client API wired to the harness's simulator,
 * polling, the simulator's admin API, stored run summaries and history text.
 */
import type { ClientOptions, XledgerSyncClient } from '../../src/client';
import { connectWithConfig } from '../../src/client/connect-with-config';
import type { StoredRun } from '../../src/store/runs';
import type { Harness } from '../support/harness';

export function apiConfig(h: Harness) {
  return { ...h.config, xledger: { ...h.config.xledger, defaultEndpoint: h.sim.graphqlUrl } };
}

export function connectApi(h: Harness): Promise<XledgerSyncClient> {
  return connectWithConfig(apiConfig(h));
}

/** The client's explicit options for the harness's servers, database and simulator. */
export function clientOptions(h: Harness): ClientOptions {
  return {
    mongodb: { uri: h.config.mongo.uri, database: h.config.mongo.dbName },
    temporal: {
      address: h.config.temporal.address,
      namespace: h.config.temporal.namespace,
      taskQueue: h.config.temporal.taskQueue,
    },
    tokenEncryptionKey: h.config.tokenEncryptionKey!.toString('base64'),
    xledger: { defaultEndpoint: h.sim.graphqlUrl, allowInsecureLoopback: true },
    webhooks: { insecureHosts: ['127.0.0.1'] },
  };
}

/** The same as `XLEDGER_SYNC_` variables, for XledgerSyncClient.fromEnv() (the examples). */
export function clientEnv(h: Harness): NodeJS.ProcessEnv {
  const env = cliEnv(h);
  return Object.fromEntries(
    Object.entries(env)
      .filter(([name]) => name !== 'LOG_LEVEL')
      .map(([name, value]) => [`XLEDGER_SYNC_${name}`, value]),
  );
}

/** The environment that makes loadConfig() produce the harness's configuration. */
export function cliEnv(h: Harness): NodeJS.ProcessEnv {
  return {
    TEMPORAL_ADDRESS: h.config.temporal.address,
    TEMPORAL_NAMESPACE: h.config.temporal.namespace,
    TEMPORAL_TASK_QUEUE: h.config.temporal.taskQueue,
    MONGODB_URI: h.config.mongo.uri,
    MONGODB_DB: h.config.mongo.dbName,
    TOKEN_ENCRYPTION_KEY: h.config.tokenEncryptionKey!.toString('base64'),
    XLEDGER_ENDPOINT: h.sim.graphqlUrl,
    ALLOW_INSECURE_LOOPBACK: 'true',
    LOG_LEVEL: 'warn',
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` returns a value that is not undefined/false; fails with `what` on timeout. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 30_000, intervalMs = 200 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/** The simulator's admin API: one helper for every test. */
export { admin } from '../support/sync';

/** Stored run summaries of a tenant's data type, oldest first. */
export async function runsOf(h: Harness, tenantId: string, dataType: string): Promise<StoredRun[]> {
  return h.store.db
    .collection<StoredRun>('sync_runs')
    .find({ tenantId, dataType })
    .sort({ startedAt: 1 })
    .toArray();
}

/** Waits for the stored run count of a data type to reach `count`; returns the runs. */
export function waitForRuns(
  h: Harness,
  tenantId: string,
  dataType: string,
  count: number,
  timeoutMs = 30_000,
) {
  return waitFor(
    `${count} run(s) of ${tenantId}/${dataType}`,
    async () => {
      const runs = await runsOf(h, tenantId, dataType);
      return runs.length >= count ? runs : undefined;
    },
    { timeoutMs },
  );
}

/**
 * Everything readable in a fetched workflow history, as one string: the history as JSON, and
 * every byte array (payload data, memo, search attributes, failure details) both as UTF-8
 * text and as base64, so a secret is found whichever way it was encoded.
 */
export function historyText(history: unknown): string {
  const parts: string[] = [];
  const seen = new WeakSet<object>();
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) {
      const buffer = Buffer.from(value);
      parts.push(buffer.toString('utf8'), buffer.toString('base64'));
      return;
    }
    if (typeof value === 'string') {
      parts.push(value);
      return;
    }
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    for (const child of Array.isArray(value) ? value : Object.values(value)) walk(child);
  };
  walk(history);
  const json = JSON.stringify(history, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
  return [json, ...parts].join('\n');
}
