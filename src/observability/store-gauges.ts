import { Gauge } from 'prom-client';
import type { Db } from 'mongodb';
import { dataTypes } from '../datatypes/registry';
import type { TenantSyncOptions } from '../datatypes/datatype';
import { logger } from '../logger';
import { collections } from '../store/collections';
import { oldestUndelivered } from '../store/events';
import { registry } from './metrics';
import type { StreamCheckpoint } from '../domain/records';

/**
 * Gauges read from MongoDB when /metrics is scraped, so they are true whichever worker did the
 * work and survive restarts: every worker reports the same values (aggregate with max/min, not
 * sum). Each scrape reads two small collections (tenants, sync_checkpoints: one document per
 * tenant and stream), counts the events waiting for delivery and reads, per tenant whose delivery
 * is behind, the events after its delivery cursor by `_id`. A store that does not answer
 * in time leaves the gauges empty for that scrape; the rest of /metrics is still served.
 */

/** The events outbox (src/store/events.ts): `delivery.state` is pending until delivered. */
export const EVENTS_COLLECTION = collections.events;
const QUERY_TIMEOUT_MS = 5_000;

let source: Db | undefined;

/** Reads the gauges from this database from now on (the worker's store). */
export function watchStore(db: Db): void {
  source = db;
}

const secondsSinceLastSuccess = new Gauge({
  name: 'xledger_sync_seconds_since_last_success',
  help:
    'Seconds since every stream of the data type last completed a pass, by tenant and data type ' +
    '(since the tenant was onboarded when it never has); enabled data types of existing tenants only',
  labelNames: ['tenant', 'data_type'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    if (!source) return;
    try {
      for (const { tenant, dataType, seconds } of await within(lastSuccessAges(source, new Date()))) {
        this.set({ tenant, data_type: dataType }, seconds);
      }
    } catch (error) {
      logger.warn({ err: error }, 'metrics: sync ages could not be read from MongoDB');
    }
  },
});

const eventsPending = new Gauge({
  name: 'xledger_sync_events_pending',
  help: 'Events recorded for SEMINE and not yet delivered (0 while the events outbox does not exist)',
  registers: [registry],
  async collect() {
    this.reset();
    if (!source) return;
    try {
      this.set(await within(pendingEvents(source)));
    } catch (error) {
      logger.warn({ err: error }, 'metrics: pending events could not be counted in MongoDB');
    }
  },
});

const oldestUndeliveredEventAge = new Gauge({
  name: 'xledger_sync_oldest_undelivered_event_age_seconds',
  help:
    "Seconds since the tenant's oldest event still waiting for delivery was recorded (its events " +
    'go one at a time in order, so one refused event holds the later ones); tenants with one only',
  labelNames: ['tenant'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    if (!source) return;
    try {
      const now = Date.now();
      for (const { tenantId, recordedAt } of await within(oldestUndelivered(source))) {
        this.set({ tenant: tenantId }, Math.max(0, (now - recordedAt.getTime()) / 1000));
      }
    } catch (error) {
      logger.warn({ err: error }, 'metrics: undelivered events could not be read from MongoDB');
    }
  },
});

export const storeGauges = { secondsSinceLastSuccess, eventsPending, oldestUndeliveredEventAge };

interface TenantDoc {
  _id: string;
  options?: Partial<TenantSyncOptions>;
  createdAt?: Date;
}

/** Per enabled data type of each tenant: seconds since the oldest of its streams' last passes. */
export async function lastSuccessAges(
  db: Db,
  now: Date,
): Promise<Array<{ tenant: string; dataType: string; seconds: number }>> {
  const [tenants, checkpoints] = await Promise.all([
    db
      .collection<TenantDoc>(collections.tenants)
      .find({}, { projection: { options: 1, createdAt: 1 }, maxTimeMS: QUERY_TIMEOUT_MS })
      .toArray(),
    db
      .collection<StreamCheckpoint>(collections.checkpoints)
      .find({}, { projection: { tenantId: 1, stream: 1, lastPassAt: 1 }, maxTimeMS: QUERY_TIMEOUT_MS })
      .toArray(),
  ]);
  const lastPass = new Map(checkpoints.map((c) => [`${c.tenantId}:${c.stream}`, c.lastPassAt]));
  const ages: Array<{ tenant: string; dataType: string; seconds: number }> = [];
  for (const tenant of tenants) {
    const options = { fixedAssets: false, projectManagers: false, ...tenant.options };
    for (const type of dataTypes) {
      if (!type.enabledFor(options)) continue;
      const passes = type.streams.map((stream) => lastPass.get(`${tenant._id}:${stream.name}`) ?? null);
      const since = passes.includes(null)
        ? tenant.createdAt
        : new Date(Math.min(...passes.map((at) => at!.getTime())));
      if (!since) continue;
      ages.push({
        tenant: tenant._id,
        dataType: type.name,
        seconds: Math.max(0, (now.getTime() - since.getTime()) / 1000),
      });
    }
  }
  return ages;
}

export async function pendingEvents(db: Db): Promise<number> {
  // A collection that does not exist counts 0.
  return db
    .collection(EVENTS_COLLECTION)
    .countDocuments({ 'delivery.state': 'pending' }, { maxTimeMS: QUERY_TIMEOUT_MS });
}

/** A MongoDB that is down makes the driver wait for its server-selection timeout: a scrape must not. */
function within<T>(work: Promise<T>, ms = QUERY_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`MongoDB did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
