import { z } from 'zod';
import { SCHEDULED_JOBS } from './data-types';
import { DEFAULT_MAX_DELETION_SHARE } from './deletion-guard';
import { eventTypes, type EventType } from './event-catalogue';

/**
 * A tenant as SEMINE's backend describes it. Validated at every boundary (client API, CLI);
 * the token is write-only: it is stored encrypted and never returned.
 */
export const tenantIdSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'must be 1–63 lowercase letters, digits, "-" or "_", starting with a letter or digit',
  );

/** An Xledger API token as typed in: checked for shape only (Xledger decides whether it is valid). */
export const xledgerTokenSchema = z
  .string()
  .min(8, 'must be an Xledger API token')
  .max(1024, 'is too long for an Xledger API token')
  .regex(/^\S+$/, 'must not contain spaces');

const scheduledJobName = z.enum(SCHEDULED_JOBS);

export const tenantSyncOptionsSchema = z
  .object({
    /** Sync fixed assets (only some tenants have them). */
    fixedAssets: z.boolean().default(false),
    /** Sync employees and projects, resolving each project's manager to an email. */
    projectManagers: z.boolean().default(false),
  })
  .strict();

/**
 * A GL import line's job level, by sub-id or by dbId: every public posting example sends one on
 * each line, as `{ dbSubId: 1 }` or `{ dbId }` (xledger-api.md).
 */
export const jobLevelSchema = z.union([
  z.object({ dbSubId: z.number().int().min(0) }).strict(),
  z.object({ dbId: z.number().int().positive() }).strict(),
]);

/** How this tenant's invoices are posted to Xledger (see README, "A tenant"). */
export const tenantPostingSchema = z
  .object({
    /**
     * The `transactionSource { code }` of every line. Default `AP` — an assumption (A), unverified:
     * public examples show only `GL` and `AR`. Set the code the tenant's Xledger uses for supplier
     * invoices.
     */
    transactionSourceCode: z.string().trim().min(1).max(20).default('AP'),
    /** The `jobLevel` of every line; default `{ dbSubId: 1 }`, as in Xledger's public examples. */
    jobLevel: jobLevelSchema.default({ dbSubId: 1 }),
    /**
     * Attach the invoice's PDF (`document`) to its voucher: the create goes as a multipart
     * request with the file as a part named by its file name, which `invoiceFile` names (M:
     * onecore; src/xledger/file-upload.ts). Default off: without it no file and no `invoiceFile`
     * is sent.
     */
    attachDocument: z.boolean().default(false),
  })
  .strict();

export type TenantPosting = z.output<typeof tenantPostingSchema>;
export const DEFAULT_POSTING: TenantPosting = {
  transactionSourceCode: 'AP',
  jobLevel: { dbSubId: 1 },
  attachDocument: false,
};

/**
 * A Standard Webhooks signing secret: `whsec_` and the base64 of 24 to 64 random bytes
 * (`echo "whsec_$(openssl rand -base64 32)"`). Write-only, like the token.
 */
export const webhookSecretSchema = z
  .string()
  .regex(
    /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/,
    'must be a Standard Webhooks secret: "whsec_" followed by the base64 of 24 to 64 random bytes',
  );

/** Where the tenant's events are POSTed (see README, "Events for SEMINE's backend"). */
export const tenantWebhookSchema = z
  .object({
    /** https (plain http only for hosts the service allows it for: WEBHOOK_INSECURE_HOSTS). */
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    secret: webhookSecretSchema,
    /**
     * The event types POSTed to this URL (absent: all). Events of other types are still recorded
     * (events list, change feed) and marked `filtered` when delivery reaches them, so they never
     * hold up the ones after them.
     */
    eventTypes: z
      .array(
        z.enum(eventTypes, {
          error: (issue) =>
            `unknown event type ${JSON.stringify(issue.input)} (known: ${eventTypes.join(', ')})`,
        }),
      )
      .min(1, 'lists at least one event type (leave it out for all of them)')
      .refine((types) => new Set(types).size === types.length, 'lists an event type twice')
      .optional(),
  })
  .strict();

export const tenantConfigSchema = z
  .object({
    tenantId: tenantIdSchema,
    xledger: z
      .object({
        /** Defaults to XLEDGER_ENDPOINT (production Xledger). */
        endpoint: z.url().optional(),
        token: xledgerTokenSchema,
      })
      .strict(),
    /** The Entity Owner ID: the owner entity whose data (and its clients') this tenant receives. */
    entityOwnerDbId: z.number().int().positive(),
    options: tenantSyncOptionsSchema.default({ fixedAssets: false, projectManagers: false }),
    /** Per data type (and `invoices`), minutes between runs (overrides the defaults). */
    intervalMinutes: z
      .partialRecord(
        scheduledJobName,
        z
          .number()
          .int()
          .min(1)
          .max(7 * 24 * 60),
      )
      .default({}),
    /** Hours between full passes, which also reconcile deletions. */
    fullPassIntervalHours: z
      .number()
      .positive()
      .max(24 * 31)
      .default(24),
    /**
     * A full pass that would mark more than this share of a stream's live records deleted holds
     * them back until an operator confirms (see domain/deletion-guard.ts).
     */
    maxDeletionShare: z.number().min(0).max(1).default(DEFAULT_MAX_DELETION_SHARE),
    posting: tenantPostingSchema.default(DEFAULT_POSTING),
    /** Optional: else the service-wide default (WEBHOOK_DEFAULT_URL), else events are not POSTed. */
    webhook: tenantWebhookSchema.optional(),
    /**
     * Register Xledger's own webhooks for the tenant's data types (README, "Push from Xledger"):
     * a change triggers a sync in seconds, and pushed types are polled less often. Needs
     * PUSH_PUBLIC_BASE_URL.
     */
    push: z.boolean().default(false),
  })
  // A misspelt field is an error, not a default: `xledger.endpiont` would send the token to
  // production Xledger instead of the endpoint meant.
  .strict();

export type TenantConfigInput = z.input<typeof tenantConfigSchema>;
export type TenantConfig = z.output<typeof tenantConfigSchema>;
export type TenantSyncOptions = z.output<typeof tenantSyncOptionsSchema>;

/** The stored tenant, as the service uses it: everything but the token and the webhook secret. */
export type TenantSettings = Omit<TenantConfig, 'xledger' | 'webhook'> & {
  xledger: { endpoint: string };
  webhook?: { url: string; eventTypes?: EventType[] };
};

/** A tenant's posting settings; a tenant stored before they existed gets the defaults. */
export function postingSettingsOf(tenant: Pick<TenantSettings, 'posting'>): TenantPosting {
  return { ...DEFAULT_POSTING, ...tenant.posting };
}
