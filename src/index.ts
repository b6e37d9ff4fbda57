/**
 * The package's entry point (`import { XledgerSyncClient } from '@semine/xledger-sync'`): the client API
 * SEMINE's backend calls, its errors and the shapes it takes and returns. The worker and the CLI
 * are programs (dist/worker.js, the `xledger-sync` command), not part of this API.
 */
export * from './client';
export { loadConfig, type Config } from './config';
export type { TenantConfigInput, TenantConfig, TenantSettings, TenantPosting } from './domain/tenant';
export type { InvoiceInput, Invoice } from './invoices/invoice';
export type { SyncRunSummary, StreamFigures, Counts, SyncMode, SyncTrigger } from './domain/figures';
export {
  verifyWebhook,
  WebhookVerificationError,
  type WebhookEvent,
  type WebhookHeaders,
} from './events/verify';
export type { EventPayloads, EventType } from './domain/event-catalogue';
export { DATA_TYPES, isDataType, type DataType } from './domain/data-types';
export type {
  DataTypeStateName as TenantState,
  DataTypeStateName as DataTypeState,
} from './domain/data-type-state';
export type {
  AccountRecord,
  CurrencyRecord,
  DataTypeRecord,
  EmployeeRecord,
  FixedAssetRecord,
  ManagerResolution,
  ObjectKindRecord,
  ObjectValueRecord,
  ProjectRecord,
  RecordChange,
  StreamRecord,
  SupplierRecord,
  SyncedRecordBase,
  TaxTableSetupRecord,
  VatCodeRecord,
} from './datatypes/records';
export { visibleToClientFilter } from './store/records';
export type { StoredRecord, Visibility } from './domain/records';
export type { SchemaCheckReport } from './catalogue/schema-check';
export type { InvoiceState } from './invoices/outbox';
export type { CreditPoolView } from './store/credit-pool';
export type { DeliveryState } from './store/events';
export type {
  AttentionReason,
  InvoiceDuplicated,
  InvoiceNeedsAttention,
  InvoicePosted,
  InvoiceRejected,
  SyncCompleted,
  SyncFailed,
  TenantNeedsAttention,
  TenantReady,
  TenantRecovered,
} from './domain/event-catalogue';
export type { TenantSchemaCheck } from './store/tenant-record';
export type { Attention, Recovery } from './store/tenant-state';
export type { TenantCost } from './domain/cost';
export type { AfterSave } from './client/tenant-state';
