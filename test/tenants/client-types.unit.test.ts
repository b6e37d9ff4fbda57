/**
 * The client's public types, checked at compile time (`npm run lint` type-checks this file:
 * each `@ts-expect-error` line must be an error, else the directive is one) and the package's
 * entry at run time: inputs typed from the zod schemas, so a typo does not compile; change
 * records JSON-safe and typed per data type; every public type exported, internal ones not.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as entry from '../../src/index';
import type {
  ChangesPage,
  DataType,
  ResyncOptions,
  SupplierRecord,
  TenantConfigInput,
  TenantState,
  XledgerSyncClient,
} from '../../src/index';
import * as client from '../../src/client';
import { dataTypes } from '../../src/datatypes/registry';
import { syncedRecord } from '../../src/store/changes';

type Api = XledgerSyncClient;

/** Never run: only compiled. */
async function typos(api: Api, token: string): Promise<void> {
  await api.upsertTenant({
    tenantId: 'acme',
    // @ts-expect-error xledger.endpoint, not endpiont
    xledger: { token, endpiont: 'https://x' },
    entityOwnerDbId: 101,
  });
  // @ts-expect-error entityOwnerDbId is a number
  await api.upsertTenant({ tenantId: 'acme', xledger: { token }, entityOwnerDbId: '101' });
  // @ts-expect-error suppliers, not supplier
  await api.forceResync('acme', { dataTypes: ['supplier'] });
  // @ts-expect-error the ticket's request id is the client's own
  await api.forceResync('acme', { requestId: 'r-1' });
  // @ts-expect-error failed, not faild
  await api.listTenants({ state: ['faild'] });
  // @ts-expect-error failed, not faild
  await api.listTenants({ state: 'faild' });
  // @ts-expect-error suppliers, not supplier
  await api.changes('acme', 'supplier');
  // @ts-expect-error ownerDbId is a number
  await api.checkXledger({ endpoint: 'https://demo.xledger.net/graphql', token, ownerDbId: '101' });
  // @ts-expect-error an invoice needs its lines, supplier, dates, …
  await api.submitInvoice('acme', { invoiceId: 'INV-1' });
  // Well-formed input compiles.
  await api.listTenants({ state: 'failed,needs_attention' });
  await api.forceResync('acme', { dataTypes: ['suppliers', 'vatCodes'], full: true, waitForRunsMs: 0 });
}

async function typedFeed(api: Api): Promise<string[]> {
  const out: string[] = [];
  const suppliers = await api.changes('acme', 'suppliers');
  for (const change of suppliers.changes) {
    const record = change.record;
    const syncedAt: string = record.syncedAt;
    const modifiedAt: string | null = record.modifiedAt;
    const code: string | null = record.code;
    const company: { dbId: number; companyNumber: string | null } | null = record.company;
    out.push(syncedAt, modifiedAt ?? '', code ?? '', String(company?.dbId));
    // @ts-expect-error times are ISO strings, not Dates
    const asDate: Date = record.syncedAt;
    // @ts-expect-error no _id: ours alone
    out.push(record._id);
    // @ts-expect-error no contentHash: ours alone
    out.push(record.contentHash);
    // @ts-expect-error a supplier has no such field
    out.push(record.notAField);
    void asDate;
  }
  const dimensions = await api.changes('acme', 'dimensions');
  for (const change of dimensions.changes) {
    if (change.stream === 'objectValues') out.push(change.record.objectKindName ?? '');
    // @ts-expect-error an object kind has no objectKindName
    else out.push(change.record.objectKindName);
  }
  return out;
}
void [typos, typedFeed];

describe('the client types', () => {
  it('take inputs typed from the zod schemas, and keep internal fields out', () => {
    expectTypeOf<Parameters<Api['upsertTenant']>[0]>().toEqualTypeOf<TenantConfigInput>();
    expectTypeOf<ResyncOptions>().not.toHaveProperty('requestId');
    expectTypeOf<ResyncOptions['dataTypes']>().toEqualTypeOf<DataType[] | undefined>();
    expectTypeOf<DataType>().toEqualTypeOf<
      'suppliers' | 'accounts' | 'dimensions' | 'currencies' | 'vatCodes' | 'projects' | 'fixedAssets'
    >();
    expectTypeOf<'needs_attention'>().toExtend<TenantState>();
  });

  it('name the types results are made of, importable from the entry', () => {
    expectTypeOf<entry.TenantStatus['credits']>().toEqualTypeOf<entry.CreditPoolView | null>();
    expectTypeOf<entry.UpsertedTenant['schemaCheck']>().toEqualTypeOf<entry.TenantSchemaCheck>();
    expectTypeOf<entry.ResyncTicket['runs'][number]>().toEqualTypeOf<entry.ResyncRun>();
    expectTypeOf<entry.ResyncTicket['needsAttention']>().toEqualTypeOf<entry.Attention | null>();
    expectTypeOf<entry.InvoiceStatus['state']>().toEqualTypeOf<entry.InvoiceState>();
    expectTypeOf<entry.EventView['delivery']['state']>().toEqualTypeOf<entry.DeliveryState>();
    expectTypeOf<entry.EventPayloads['sync.completed']>().toEqualTypeOf<entry.SyncCompleted>();
    expectTypeOf<entry.ListedTenant['state']>().toEqualTypeOf<entry.TenantStateView>();
    expectTypeOf<entry.TenantStateView['state']>().toEqualTypeOf<entry.TenantState>();
  });

  it('give JSON-safe records typed per data type', () => {
    expectTypeOf<SupplierRecord['syncedAt']>().toEqualTypeOf<string>();
    expectTypeOf<SupplierRecord['deletedAt']>().toEqualTypeOf<string | null>();
    expectTypeOf<SupplierRecord>().not.toHaveProperty('_id');
    expectTypeOf<SupplierRecord>().not.toHaveProperty('contentHash');
    expectTypeOf<ChangesPage<'suppliers'>['changes'][number]['record']>().toEqualTypeOf<SupplierRecord>();
    expectTypeOf<ChangesPage<'suppliers'>['dataType']>().toEqualTypeOf<'suppliers'>();
  });

  it('convert a stored record to what SEMINE receives: no _id or contentHash, ISO times', () => {
    const syncedAt = new Date('2026-11-26T10:30:00.000Z');
    const record = syncedRecord<'suppliers'>({
      _id: 'acme:7',
      tenantId: 'acme',
      dbId: 7,
      entityDbId: 101,
      visibility: 'owner',
      contentHash: 'h',
      syncedAt,
      deletedAt: null,
      changeSeq: 3,
      code: 'S7',
    });
    expect(record).toEqual({
      tenantId: 'acme',
      dbId: 7,
      entityDbId: 101,
      visibility: 'owner',
      syncedAt: '2026-11-26T10:30:00.000Z',
      deletedAt: null,
      changeSeq: 3,
      code: 'S7',
    });
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });

  it('are exported from the entry point, with the helpers the README names, and nothing internal', () => {
    expect(typeof entry.visibleToClientFilter).toBe('function');
    expect(entry.visibleToClientFilter('acme', 102)).toMatchObject({ tenantId: 'acme', deletedAt: null });
    expect(entry.DATA_TYPES).toEqual(dataTypes.map((type) => type.name));
    expect(entry.isDataType('suppliers')).toBe(true);
    expect(entry.isDataType('supplier')).toBe(false);
    expect(entry.ReadOnlyClientError).toBe(client.ReadOnlyClientError);
    expect('connectWithConfig' in entry).toBe(false);
    // Whatever src/client.ts exports, the package exports too.
    for (const name of Object.keys(client)) expect(entry, name).toHaveProperty(name);
  });
});
