/**
 * Helpers for sync-engine tests: run a data type's workflow, read the simulator's ground truth
 * and counters through its admin API, inject faults, and compare MongoDB with the truth.
 */
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { expect } from 'vitest';
import { SEED_ENTITIES, type FaultInput, type RecordType } from '../../src/simulator/index';
import { recordsCollection, visibleToClientFilter } from '../../src/store/records';
import type { StreamFigures, SyncMode, SyncRunSummary } from '../../src/domain/figures';
import { syncWorkflowId } from '../../src/temporal/ids';
import { syncDataTypeWorkflow } from '../../src/workflows';
import type { Harness } from './harness';
import type { StoredRecord } from '../../src/domain/records';

export type TruthRecord = Record<string, unknown> & {
  dbId: number;
  ownerDbId: number;
  entityDbId: number;
  visibility: 'owner' | 'client';
};

/** The seeded owners and their client entities. */
export const OWNERS = {
  [SEED_ENTITIES.owner1]: [...SEED_ENTITIES.owner1Clients],
  [SEED_ENTITIES.owner2]: [...SEED_ENTITIES.owner2Clients],
} as Record<number, number[]>;

let runCounter = 0;

export function syncRunId(tenantId: string, dataType: string): string {
  runCounter += 1;
  return `${syncWorkflowId(tenantId, dataType)}:${Date.now()}-${runCounter}`;
}

export async function startSync(
  h: Harness,
  tenantId: string,
  dataType: string,
  mode: SyncMode | 'auto' = 'auto',
  taskQueue = h.taskQueue,
) {
  return h.client.workflow.start(syncDataTypeWorkflow, {
    taskQueue,
    workflowId: syncRunId(tenantId, dataType),
    args: [{ tenantId, dataType, mode, trigger: 'manual' }],
  });
}

export async function runSync(
  h: Harness,
  tenantId: string,
  dataType: string,
  mode: SyncMode | 'auto' = 'auto',
): Promise<SyncRunSummary> {
  const handle = await startSync(h, tenantId, dataType, mode);
  return (await handle.result()) as SyncRunSummary;
}

export function streamFigures(run: SyncRunSummary, stream: string): StreamFigures {
  const figures = run.streams.find((s) => s.stream === stream);
  if (!figures) throw new Error(`run has no figures for stream ${stream}`);
  return figures;
}

export const written = (counts: { inserted: number; updated: number; deleted: number }) =>
  counts.inserted + counts.updated + counts.deleted;

// --- simulator admin API -------------------------------------------------------------------

export async function admin<T = unknown>(
  h: Harness,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${h.sim.adminUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`admin ${method} ${path}: HTTP ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function truth(h: Harness, ownerDbId: number, type: RecordType): Promise<TruthRecord[]> {
  const answer = await admin<{ records: TruthRecord[] }>(h, 'GET', `/admin/truth/${ownerDbId}/${type}`);
  return answer.records;
}

export interface TokenCounters {
  requests: number;
  refused: number;
  byField: Record<string, { requests: number; refused: number }>;
}

export async function counters(h: Harness, tokenName: string): Promise<TokenCounters> {
  const answer = await admin<Partial<TokenCounters>>(h, 'GET', `/admin/counters/${tokenName}`);
  return { requests: answer.requests ?? 0, refused: answer.refused ?? 0, byField: answer.byField ?? {} };
}

export const fieldRequests = (c: TokenCounters, field: string) => c.byField[field]?.requests ?? 0;

export async function resetCounters(h: Harness): Promise<void> {
  await admin(h, 'POST', '/admin/counters/reset', {});
}

export async function addFault(h: Harness, fault: FaultInput): Promise<void> {
  await admin(h, 'POST', '/admin/faults', fault);
}

export async function clearFaults(h: Harness): Promise<void> {
  await admin(h, 'DELETE', '/admin/faults');
}

// --- failures ------------------------------------------------------------------------------

export interface FailureSeen {
  /** The ApplicationFailure under the ActivityFailure. */
  type: string | undefined | null;
  message: string;
  nonRetryable: boolean;
  /** The whole chain of messages, for "never contains the token" checks. */
  chain: string;
}

/** Awaits a run that must fail and unwraps WorkflowFailedError → ActivityFailure → ApplicationFailure. */
export async function expectRunFailure(run: Promise<unknown>): Promise<FailureSeen> {
  const error = await run.then(
    () => {
      throw new Error('the run completed, but it should have failed');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const activity = (error as WorkflowFailedError).cause;
  expect(activity).toBeInstanceOf(ActivityFailure);
  const app = (activity as ActivityFailure).cause;
  expect(app).toBeInstanceOf(ApplicationFailure);
  const failure = app as ApplicationFailure;
  const chain: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    chain.push(e.message, e.stack ?? '');
  }
  return {
    type: failure.type,
    message: failure.message,
    nonRetryable: failure.nonRetryable === true,
    chain: chain.join('\n'),
  };
}

// --- MongoDB vs truth ----------------------------------------------------------------------

export interface StreamTruth {
  collection: string;
  simType: RecordType;
  /** Fields compared one by one besides dbId, entityDbId and visibility. */
  keyFields: string[];
  /** The part of the simulator's type that the stream reads (e.g. TAX_RULE values only). */
  filter?: (record: TruthRecord) => boolean;
}

const isTaxRule = (record: TruthRecord) =>
  (record.objectKind as { name?: string } | null | undefined)?.name === 'TAX_RULE';

/** Where each data type's records land and which of the simulator's records they mirror. */
export const DATA_TYPE_TRUTH: Record<string, StreamTruth[]> = {
  suppliers: [{ collection: 'suppliers', simType: 'suppliers', keyFields: ['code', 'description', 'email'] }],
  accounts: [
    {
      collection: 'accounts',
      simType: 'accounts',
      keyFields: ['code', 'description', 'ledgerType', 'vat', 'chartOfAccount', 'accountGroup'],
    },
  ],
  dimensions: [
    { collection: 'object_kinds', simType: 'objectKinds', keyFields: ['name'] },
    {
      collection: 'object_values',
      simType: 'objectValues',
      keyFields: ['code', 'description', 'objectKindDbId', 'dateTo'],
    },
  ],
  currencies: [{ collection: 'currencies', simType: 'currencies', keyFields: ['code', 'description'] }],
  vatCodes: [
    {
      collection: 'vat_codes',
      simType: 'objectValues',
      keyFields: ['code', 'description'],
      filter: isTaxRule,
    },
    {
      collection: 'tax_table_setups',
      simType: 'taxTableSetups',
      keyFields: ['taxPercent', 'dateFrom', 'dateTo'],
    },
  ],
  projects: [
    { collection: 'employees', simType: 'employees', keyFields: ['code', 'description', 'email'] },
    { collection: 'projects', simType: 'projects', keyFields: ['code', 'description', 'toDate'] },
  ],
  fixedAssets: [
    {
      collection: 'fixed_assets',
      simType: 'assets',
      keyFields: ['code', 'description', 'assetStatus', 'dateFrom', 'dateTo', 'balance'],
    },
  ],
};

export async function liveDocs(h: Harness, collection: string, tenantId: string): Promise<StoredRecord[]> {
  return recordsCollection(h.store.db, collection).find({ tenantId, deletedAt: null }).toArray();
}

/**
 * MongoDB holds exactly the owner's live records of the stream, field by field, each client
 * sees exactly the owner-level records plus its own, and nothing of another owner is stored.
 */
export async function expectStreamEqualsTruth(
  h: Harness,
  tenantId: string,
  ownerDbId: number,
  spec: StreamTruth,
): Promise<{ truth: TruthRecord[]; stored: StoredRecord[] }> {
  const expected = (await truth(h, ownerDbId, spec.simType)).filter(spec.filter ?? (() => true));
  const all = await recordsCollection(h.store.db, spec.collection).find({ tenantId }).toArray();
  const stored = all.filter((doc) => doc.deletedAt === null);
  const where = `${tenantId} ${spec.collection}`;
  expect(expected.length, `${where}: the truth is not empty`).toBeGreaterThan(0);

  const tree = new Set([ownerDbId, ...(OWNERS[ownerDbId] ?? [])]);
  const foreign = all.filter((doc) => !tree.has(doc.entityDbId));
  expect(
    foreign.map((doc) => doc.dbId),
    `${where}: records of another owner or the root`,
  ).toEqual([]);

  const byId = new Map(stored.map((doc) => [doc.dbId, doc]));
  expect(
    stored.map((doc) => doc.dbId).sort((a, b) => a - b),
    `${where}: live dbIds`,
  ).toEqual(expected.map((r) => r.dbId).sort((a, b) => a - b));
  for (const record of expected) {
    const doc = byId.get(record.dbId)!;
    const pick = (source: Record<string, unknown>) => ({
      dbId: source.dbId,
      entityDbId: source.entityDbId,
      visibility: source.visibility,
      ...Object.fromEntries(spec.keyFields.map((field) => [field, source[field] ?? null])),
    });
    expect(pick(doc), `${where}: record ${record.dbId}`).toEqual(pick(record));
  }

  for (const client of OWNERS[ownerDbId] ?? []) {
    const visible = await recordsCollection(h.store.db, spec.collection)
      .find(visibleToClientFilter(tenantId, client), { projection: { dbId: 1 } })
      .toArray();
    const expectedVisible = expected.filter(
      (r) => r.visibility === 'owner' || (r.visibility === 'client' && r.entityDbId === client),
    );
    expect(
      visible.map((doc) => doc.dbId).sort((a, b) => a - b),
      `${where}: what client ${client} sees`,
    ).toEqual(expectedVisible.map((r) => r.dbId).sort((a, b) => a - b));
  }
  return { truth: expected, stored };
}

export async function expectDataTypeEqualsTruth(
  h: Harness,
  tenantId: string,
  ownerDbId: number,
  dataType: string,
): Promise<void> {
  for (const spec of DATA_TYPE_TRUTH[dataType] ?? [])
    await expectStreamEqualsTruth(h, tenantId, ownerDbId, spec);
}

/** Latest syncedAt in a collection for a tenant: a no-op pass must leave it where it was. */
export async function lastSyncedAt(h: Harness, collection: string, tenantId: string): Promise<number> {
  const [doc] = await recordsCollection(h.store.db, collection)
    .find({ tenantId })
    .sort({ syncedAt: -1 })
    .limit(1)
    .toArray();
  return doc ? doc.syncedAt.getTime() : 0;
}
