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
