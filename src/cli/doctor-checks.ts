import type { Connection } from '@temporalio/client';
import type { Db } from 'mongodb';
import { fleetCompatibility, incompatibilityMessage } from '../client/compatibility';
import { loadConfig, type Config } from '../config';
import { probeWebhook } from '../events/webhook-reachability';
import { collections } from '../store/collections';
import { connectStore, redactMongoUri, type Store } from '../store/db';
import { connectClient, temporalUnavailable } from '../temporal/connection';
import { addSearchAttributes, searchAttributeStatus } from '../temporal/search-attribute-registry';

/**
 * The checks of `xledger-sync doctor`, each one line: ok or fail, and why. Each runs within a
 * deadline (the configured timeout and a little), so a server that never answers fails its
 * line instead of hanging the command; a check that needs a server that failed says so.
 */
export interface CheckLine {
  check: string;
  ok: boolean;
  detail: string;
}

export interface DoctorOptions {
  env: NodeJS.ProcessEnv;
  /** Register missing search attributes (where the namespace allows it). */
  fix: boolean;
  /** Also probe this tenant's webhook. */
  tenantId?: string;
}

const line = (check: string, ok: boolean, detail: string): CheckLine => ({ check, ok, detail });
const messageOf = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();

/** Fails after `ms` instead of waiting for a server that does not answer. */
function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export async function runDoctor(options: DoctorOptions): Promise<CheckLine[]> {
  let config: Config;
  try {
    config = loadConfig(options.env);
  } catch (error) {
    const skipped = ['mongodb', 'temporal', 'search attributes', 'workers'];
    if (options.tenantId) skipped.push('webhook');
    return [
      line('configuration', false, messageOf(error)),
      ...skipped.map((check) => line(check, false, 'not checked: the configuration does not load')),
    ];
  }
  const lines: CheckLine[] = [
    line(
      'configuration',
      true,
      `environment parsed: MongoDB ${redactMongoUri(config.mongo.uri)} database ${config.mongo.dbName}; ` +
        `Temporal ${config.temporal.address} namespace ${config.temporal.namespace} task queue ${config.temporal.taskQueue}`,
    ),
  ];
  const [mongo, temporal] = await Promise.all([checkMongo(config), checkTemporal(config)]);
  try {
    lines.push(mongo.line, temporal.line);
    lines.push(
      ...(temporal.connection
        ? await temporalChecks(config, temporal.connection, options.fix)
        : [
            line('search attributes', false, 'not checked: Temporal is not reachable'),
            line('workers', false, 'not checked: Temporal is not reachable'),
          ]),
    );
    if (options.tenantId) {
      lines.push(
        mongo.store
          ? await checkWebhook(config, mongo.store.db, options.tenantId)
          : line('webhook', false, 'not checked: MongoDB is not reachable'),
      );
    }
  } finally {
    await Promise.allSettled([mongo.store?.close(), temporal.connection?.close()]);
  }
  return lines;
}

async function checkMongo(config: Config): Promise<{ line: CheckLine; store?: Store }> {
  const ms = config.mongo.timeoutMs;
  let store: Store | undefined;
  try {
    store = await within(
      connectStore(config.mongo.uri, config.mongo.dbName, { timeoutMs: ms, requestTimeoutMs: ms }),
      ms + 2_000,
      'MongoDB',
    );
    const db = store.db;
    await within(db.command({ ping: 1 }), ms, 'MongoDB');
    const names = (await within(db.listCollections({}, { nameOnly: true }).toArray(), ms, 'MongoDB')).map(
      (c) => c.name,
    );
    const detail = names.includes(collections.tenants)
      ? `reachable; database ${config.mongo.dbName} holds the service's collections (${names.length})`
      : `reachable; database ${config.mongo.dbName} has no tenants collection yet (created by the first worker or client)`;
    return { line: line('mongodb', true, detail), store };
  } catch (error) {
    await store?.close().catch(() => undefined);
    return { line: line('mongodb', false, messageOf(error)) };
  }
}

async function checkTemporal(config: Config): Promise<{ line: CheckLine; connection?: Connection }> {
  const ms = config.temporal.timeoutMs;
  let connection: Connection | undefined;
  try {
    connection = await within(
      connectClient(config.temporal),
      ms + 2_000,
      `Temporal at ${config.temporal.address}`,
    );
    const namespace = config.temporal.namespace;
    await within(
      connection.workflowService.describeNamespace({ namespace }),
      ms,
      `Temporal at ${config.temporal.address}`,
    );
    return {
      line: line('temporal', true, `reachable at ${config.temporal.address}; namespace ${namespace} exists`),
      connection,
    };
  } catch (error) {
    await connection?.close().catch(() => undefined);
    const notFound = /not ?found/i.test(messageOf(error));
    return {
      line: line(
        'temporal',
        false,
        notFound
          ? `namespace ${config.temporal.namespace} not found at ${config.temporal.address}`
          : temporalUnavailable(config.temporal, error).message,
      ),
    };
  }
}

async function temporalChecks(config: Config, connection: Connection, fix: boolean): Promise<CheckLine[]> {
  const ms = config.temporal.timeoutMs;
  const where = `Temporal at ${config.temporal.address}`;
  const namespace = config.temporal.namespace;
  let attributes: CheckLine;
  try {
    const status = await within(searchAttributeStatus(connection, namespace), ms, where);
    if (status.conflicts.length > 0) {
      attributes = line(
        'search attributes',
        false,
        `registered with another type: ${status.conflicts.join('; ')}`,
      );
    } else if (status.missing.length === 0) {
      attributes = line('search attributes', true, `all registered on namespace ${namespace}`);
    } else if (fix) {
      try {
        await within(addSearchAttributes(connection, namespace, status.missing), ms, where);
        attributes = line(
          'search attributes',
          true,
          `added on namespace ${namespace}: ${status.missing.join(', ')}`,
        );
      } catch (error) {
        attributes = line(
          'search attributes',
          false,
          `missing on namespace ${namespace}: ${status.missing.join(', ')}; --fix could not add them: ${messageOf(error)}`,
        );
      }
    } else {
      attributes = line(
        'search attributes',
        false,
        `missing on namespace ${namespace}: ${status.missing.join(', ')} (--fix adds them where the server allows)`,
      );
    }
  } catch (error) {
    attributes = line('search attributes', false, messageOf(error));
  }
  let workers: CheckLine;
  try {
    const fleet = await within(fleetCompatibility(connection, config.temporal), ms, where);
    const versions = [...new Set(fleet.workers.map((w) => w.version ?? 'none'))].join(', ');
    workers =
      fleet.incompatible.length > 0
        ? line('workers', false, incompatibilityMessage(fleet))
        : fleet.workers.length === 0
          ? line(
              'workers',
              true,
              `no worker polls task queue ${fleet.taskQueue} (down or not started): allowed`,
            )
          : line(
              'workers',
              true,
              `${fleet.workers.length} worker(s) on task queue ${fleet.taskQueue}, version ${versions}: ` +
                `compatible with this client (${fleet.clientVersion})`,
            );
  } catch (error) {
    workers = line('workers', false, messageOf(error));
  }
  return [attributes, workers];
}

async function checkWebhook(config: Config, db: Db, tenantId: string): Promise<CheckLine> {
  try {
    // The tenants view, read without a key: only the URL is needed, never the secret.
    const tenant = await within(
      db
        .collection<{ _id: string; webhook?: { url: string } }>(collections.tenants)
        .findOne({ _id: tenantId }, { projection: { webhook: 1 } }),
      config.mongo.timeoutMs,
      'MongoDB',
    );
    if (!tenant) return line('webhook', false, `tenant ${tenantId} is not known`);
    const url = tenant.webhook?.url ?? config.webhooks.defaultEndpoint?.url;
    if (!url)
      return line(
        'webhook',
        true,
        `tenant ${tenantId} has no webhook and there is no default: events are kept, not sent`,
      );
    const probe = await probeWebhook(url, {
      policy: config.webhooks.policy,
      timeoutMs: config.webhooks.timeoutMs,
    });
    const whose = tenant.webhook
      ? `tenant ${tenantId}'s webhook`
      : 'the default webhook (WEBHOOK_DEFAULT_URL)';
    return line('webhook', probe.ok, `${whose}: ${probe.detail}`);
  } catch (error) {
    return line('webhook', false, messageOf(error));
  }
}
