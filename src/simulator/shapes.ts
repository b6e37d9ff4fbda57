/**
 * How simulated records are served where Xledger's shape differs from what the simulator keeps.
 * Records keep short codes where other simulator code reads them (an account's ledger type
 * `AP`, an asset's status `DISPOSED`); Xledger serves these as objects `{ dbId name }` (M:
 * grasp-labs' ledgerType_*, assetStatus_*), and some ids beside their objects. The same
 * functions serve GraphQL (resolvers.ts) and the admin ground truth (state.ts#truth), so a test
 * compares what the client stored with exactly what Xledger would have sent.
 */
import type { SimRecord } from './record-table';
import type { RecordType } from './state';

export interface SysValue {
  dbId: number | null;
  name: string | null;
}

/**
 * (A) Xledger does not publish the dbIds or names of its ledger types and asset statuses: these
 * tables invent them, in this one place. A code missing here is served with a null dbId.
 */
export const LEDGER_TYPES: Readonly<Record<string, SysValue>> = {
  GL: { dbId: 1, name: 'GL' },
  AP: { dbId: 2, name: 'AP' },
  AR: { dbId: 3, name: 'AR' },
};
export const ASSET_STATUSES: Readonly<Record<string, SysValue>> = {
  ACTIVE: { dbId: 1, name: 'ACTIVE' },
  DISPOSED: { dbId: 2, name: 'DISPOSED' },
};

function sysValue(table: Readonly<Record<string, SysValue>>, code: unknown): SysValue | null {
  if (typeof code !== 'string') return null;
  return table[code] ?? { dbId: null, name: code };
}

/** Names of things records point to by id only (charts of accounts, account groups). */
export type NamesById = ReadonlyMap<number, { code?: string; name?: string }>;

type Derive = (record: SimRecord, names: NamesById) => unknown;

const idOf = (value: unknown): number | null =>
  typeof (value as { dbId?: unknown } | null)?.dbId === 'number' ? (value as { dbId: number }).dbId : null;

/** Fields computed from a record when it is served, per GraphQL type. */
export const DERIVED_FIELDS: Readonly<Record<string, Readonly<Record<string, Derive>>>> = {
  Supplier: {
    companyDbId: (record) => idOf(record.company),
  },
  Account: {
    ledgerType: (record) => sysValue(LEDGER_TYPES, record.ledgerType),
    chartOfAccount: (record, names) => {
      const dbId = record.chartOfAccountDbId;
      return typeof dbId === 'number' ? { dbId, name: names.get(dbId)?.name ?? null } : null;
    },
    accountGroup: (record, names) => {
      const dbId = record.accountGroupDbId;
      return typeof dbId === 'number' ? { dbId, code: names.get(dbId)?.code ?? null } : null;
    },
  },
  TaxTableSetup: {
    accountDbId: (record) => idOf(record.account),
    objectValueDbId: (record) => idOf(record.objectValue),
  },
  Asset: {
    assetStatus: (record) => sysValue(ASSET_STATUSES, record.assetStatus),
  },
};

/** The GraphQL type each record type is served as. */
export const GRAPHQL_TYPE: Readonly<Record<RecordType, string>> = {
  suppliers: 'Supplier',
  accounts: 'Account',
  objectKinds: 'ObjectKind',
  objectValues: 'ObjectValue',
  taxTableSetups: 'TaxTableSetup',
  currencies: 'Currency',
  exchangeRates: 'ExchangeRate',
  employees: 'Employee',
  projects: 'Project',
  assets: 'Asset',
};

/** A record with its derived fields, as Xledger serves it. */
export function served(type: RecordType, record: SimRecord, names: NamesById): SimRecord {
  const derived = DERIVED_FIELDS[GRAPHQL_TYPE[type]];
  if (!derived) return record;
  const fields = Object.fromEntries(Object.entries(derived).map(([field, fn]) => [field, fn(record, names)]));
  return { ...record, ...fields };
}
