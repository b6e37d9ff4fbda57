import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * The custom search attributes every xledger-sync workflow carries, so that operators can
 * filter runs in the Temporal Web UI (e.g. `TenantId = "acme" AND DataType = "suppliers"`).
 * All are Keyword: exact-match filters, which is what an operator types.
 */
export const TenantIdKey = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const DataTypeKey = defineSearchAttributeKey('DataType', SearchAttributeType.KEYWORD);
/** What started the run: `schedule`, `resync` or `invoice`. */
export const TriggerKey = defineSearchAttributeKey('SyncTrigger', SearchAttributeType.KEYWORD);
/** How a sync run ended when it needs an operator: `needs_review` (a held mass deletion). */
export const SyncOutcomeKey = defineSearchAttributeKey('SyncOutcome', SearchAttributeType.KEYWORD);
export const InvoiceIdKey = defineSearchAttributeKey('InvoiceId', SearchAttributeType.KEYWORD);
export const InvoiceStateKey = defineSearchAttributeKey('InvoiceState', SearchAttributeType.KEYWORD);

export const customSearchAttributes = [
  TenantIdKey,
  DataTypeKey,
  TriggerKey,
  SyncOutcomeKey,
  InvoiceIdKey,
  InvoiceStateKey,
];
