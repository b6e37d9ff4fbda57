import type { Db, IndexDescription } from 'mongodb';
import { dataTypes } from '../datatypes/registry';
import { boundedDeleteMany } from './bounded';

/**
 * Every collection xledger-sync keeps, in one registry: index creation (db.ts, ensureIndexes)
 * and a tenant's purge (purgeTenantDocuments) both read it, so a new collection is created with
 * its indexes and purged with its tenant by being listed here once. Master-data collections are
 * named by the stream definitions (datatypes/); the others here. Features keep their documents'
 * logic (e.g. src/invoices/outbox.ts) and take their collection's name from here.
 */
export const collections = {
  /** Each tenant's latest record, what readers read by `_id` (store/tenants.ts). */
  tenants: 'tenants',
  /** Every change of a tenant's record, as versions of a register (store/tenants.ts). */
  tenantVersions: 'tenant_versions',
  entities: 'entities',
  checkpoints: 'sync_checkpoints',
  passes: 'sync_passes',
  passSeen: 'sync_pass_seen',
  runs: 'sync_runs',
  rejects: 'sync_rejects',
  syncRequests: 'sync_requests',
  invoiceOutbox: 'invoice_outbox',
  postingLeases: 'invoice_posting_leases',
  /** Every create sent for an invoice, recorded before it leaves (invoices/sends.ts). */
  invoiceSends: 'invoice_sends',
  /** Invoices' PDFs, apart from the outbox, read by `_id` (invoices/invoice-document.ts). */
  invoiceDocuments: 'invoice_documents',
  /** An invoice's final state, decided once by an insert (invoices/settlement.ts). */
  invoiceSettlements: 'invoice_settlements',
  events: 'events',
  eventIds: 'event_ids',
  eventSequences: 'event_sequences',
  /** An operator's skip of an event, decided by its insert (store/event-skips.ts). */
  eventSkips: 'event_skips',
  /** The change feed's numbers per tenant and data type (store/changes.ts). */
  changeSequences: 'change_sequences',
  /** The request budget each Xledger token shares across workers (store/request-budget.ts). */
  requestSlots: 'xledger_request_slots',
  /** Per token (a digest): its credit pause and the pool Xledger last reported (store/credit-pool.ts). */
  creditPools: 'xledger_credit_pools',
  /** States per data type and tenant, and the transitions events announce (store/tenant-state.ts). */
  dataTypeStates: 'data_type_states',
  tenantStates: 'tenant_states',
  tenantStateTransitions: 'tenant_state_transitions',
  /** Resyncs asked for through the client API, and the runs serving them (store/resync-tickets.ts). */
  resyncTickets: 'resync_tickets',
  /** Per tenant: its Xledger webhooks and which data types they push (store/push-subscriptions.ts). */
  pushSubscriptions: 'push_subscriptions',
  /** Every verified Xledger delivery's digest, inserted under a unique `_id`: a replay finds it taken. */
  pushDeliveries: 'push_deliveries',
  /** The HTTP API's keys, hashed, read by `_id` (store/api-keys.ts). */
  apiKeys: 'api_keys',
} as const;

/** An index by its name: ensureIndexes creates only those missing by name. */
export type NamedIndex = IndexDescription & { name: string };

/**
 * The unique index of records and entities on (tenantId, dbId). It restates their `_id`,
 * `<tenantId>:<dbId>`: the constraint holds without it, and it is there for MongoDB's queries by
 * tenant and dbId. FerretDB v1 never reads it (db.ts, ensureIndexes).
 */
export const TENANT_DB_ID_INDEX = 'tenant_dbId';

export interface CollectionSpec {
  name: string;
  indexes: NamedIndex[];
  /**
   * Where a document names its tenant: the `tenantId` field (every collection but two), or the
   * `_id` itself; `null` for the tenant store's two, the tenants collection and the versions of
   * each tenant's record, which the tenant store removes last (a tombstone stays: store/tenants.ts,
   * remove), and for the request slots, which belong to a token, not a tenant.
   */
  tenantKey: 'tenantId' | '_id' | null;
}

const index = (key: Record<string, 1 | -1>, name: string, unique = false): NamedIndex => ({
  key,
  name,
  ...(unique ? { unique } : {}),
});

/**
 * Every collection with its indexes. Master-data documents use the deterministic _id
 * `<tenantId>:<dbId>`, so an upsert can never create a duplicate; the unique index says so too.
 */
export function allCollections(): CollectionSpec[] {
  const streamCollections = [...new Set(dataTypes.flatMap((type) => type.streams.map((s) => s.collection)))];
  return [
    ...streamCollections.map((name): CollectionSpec => ({
      name,
      indexes: [
        index({ tenantId: 1, dbId: 1 }, TENANT_DB_ID_INDEX, true),
        index({ tenantId: 1, entityDbId: 1, visibility: 1 }, 'tenant_visibility'),
        // The change feed (store/changes.ts): a tenant's records after a cursor, in order.
        index({ tenantId: 1, changeSeq: 1 }, 'tenant_changeSeq'),
      ],
      tenantKey: 'tenantId',
    })),
    {
      name: collections.entities,
      indexes: [index({ tenantId: 1, dbId: 1 }, TENANT_DB_ID_INDEX, true)],
      tenantKey: 'tenantId',
    },
    { name: collections.checkpoints, indexes: [], tenantKey: 'tenantId' },
    { name: collections.passes, indexes: [], tenantKey: 'tenantId' },
    {
      name: collections.passSeen,
      indexes: [index({ tenantId: 1, stream: 1, passId: 1 }, 'tenant_stream_pass')],
      tenantKey: 'tenantId',
    },
    {
      name: collections.runs,
      indexes: [
        index({ tenantId: 1, dataType: 1, startedAt: -1 }, 'tenant_type_time'),
        // A tenant's Xledger use over the last 30 days (tenant status).
        index({ tenantId: 1, startedAt: -1 }, 'tenant_time'),
      ],
      tenantKey: 'tenantId',
    },
    {
      name: collections.rejects,
      indexes: [index({ tenantId: 1, stream: 1, dbId: 1 }, 'tenant_stream_dbId')],
      tenantKey: 'tenantId',
    },
    { name: collections.syncRequests, indexes: [], tenantKey: 'tenantId' },
    {
      name: collections.invoiceOutbox,
      // The invoice schedule's sweep: a tenant's pending invoices, oldest first.
      indexes: [index({ tenantId: 1, state: 1, submittedAt: 1 }, 'tenant_state_submitted')],
      tenantKey: 'tenantId',
    },
    { name: collections.postingLeases, indexes: [], tenantKey: 'tenantId' },
    { name: collections.invoiceSends, indexes: [], tenantKey: 'tenantId' },
    { name: collections.invoiceDocuments, indexes: [], tenantKey: 'tenantId' },
    { name: collections.invoiceSettlements, indexes: [], tenantKey: 'tenantId' },
    // Read and written by _id only (store/events.ts); a closed gap has no tenantId and stays.
    { name: collections.events, indexes: [], tenantKey: 'tenantId' },
    { name: collections.eventIds, indexes: [], tenantKey: 'tenantId' },
    // One document per tenant, its _id the tenant id (store/events.ts).
    { name: collections.eventSequences, indexes: [], tenantKey: '_id' },
    { name: collections.eventSkips, indexes: [], tenantKey: 'tenantId' },
    { name: collections.changeSequences, indexes: [], tenantKey: 'tenantId' },
    { name: collections.requestSlots, indexes: [], tenantKey: null },
    // Read and written by _id only: `<token digest>:pause`, `<token digest>:credits`.
    { name: collections.creditPools, indexes: [], tenantKey: null },
    // States per data type and tenant, and the transitions announced by events (store/tenant-state.ts).
    { name: collections.dataTypeStates, indexes: [], tenantKey: 'tenantId' },
    { name: collections.tenantStates, indexes: [], tenantKey: 'tenantId' },
    { name: collections.tenantStateTransitions, indexes: [], tenantKey: 'tenantId' },
    // Resyncs asked for through the client API, and the runs serving them (store/resync-tickets.ts).
    { name: collections.resyncTickets, indexes: [], tenantKey: 'tenantId' },
    { name: collections.tenants, indexes: [], tenantKey: null },
    { name: collections.pushSubscriptions, indexes: [], tenantKey: 'tenantId' },
    { name: collections.pushDeliveries, indexes: [], tenantKey: 'tenantId' },
    // A key belongs to the service, not a tenant (one may name several): read by _id only.
    { name: collections.apiKeys, indexes: [], tenantKey: null },
    // Not purged: TenantStore.remove writes the tombstone that keeps a racing writer from
    // bringing the tenant back, and clears the versions below it.
    { name: collections.tenantVersions, indexes: [], tenantKey: null },
  ];
}

/**
 * Deletes every document of a tenant in every collection but the tenants collection, in short
 * bounded batches (store/bounded.ts). Returns how many it deleted.
 */
export async function purgeTenantDocuments(db: Db, tenantId: string): Promise<number> {
  let deleted = 0;
  for (const { name, tenantKey } of allCollections()) {
    if (tenantKey === null) continue;
    deleted += await boundedDeleteMany(db.collection<{ _id: string }>(name), { [tenantKey]: tenantId });
  }
  return deleted;
}
