/**
 * zod schemas for admin request bodies: records are created and patched with the documented
 * field types only, so the data the simulator serves stays well-formed unless a fault says
 * otherwise.
 */
import { z } from 'zod';
import { SCOPES } from './auth';
import { PROCESSED_LINE_MODELS } from './gl-import';
import { WEBHOOK_STATES } from './webhooks';
import { isCalendarDate } from './clock';
import type { RecordType } from './state';

const date = z.string().refine(isCalendarDate, 'expected a calendar date YYYY-MM-DD');
const optionalDate = date.nullable().optional();
const dbId = z.number().int().positive();
const text = z.string().nullable().optional();
const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal string like "101.00"');
const ref = z.object({ dbId, code: text, description: text }).strict();
const optionalRef = ref.nullable().optional();

export const RECORD_SCHEMAS = {
  suppliers: z
    .object({
      ownerDbId: dbId,
      code: z.string().min(1),
      description: text,
      email: text,
      fromDate: optionalDate,
      toDate: optionalDate,
      company: z.object({ dbId, companyNumber: text }).strict().nullable().optional(),
      glObject1: optionalRef,
      glObject2: optionalRef,
      glObject3: optionalRef,
      glObject4: optionalRef,
      glObject5: optionalRef,
    })
    .strict(),
  accounts: z
    .object({
      ownerDbId: dbId,
      code: z.string().min(1),
      description: text,
      posting: z.boolean().optional(),
      balanceSheet: z.boolean().optional(),
      vat: z.boolean().nullable().optional(),
      chartOfAccountDbId: dbId.nullable().optional(),
      accountGroupDbId: dbId.nullable().optional(),
      /** The ledger type's code (GL, AP, AR), served as { dbId name } (shapes.ts). */
      ledgerType: text,
      /** Admin-only (not in the SDL): closes the account for objectStatus. */
      toDate: optionalDate,
    })
    .strict(),
  objectKinds: z.object({ ownerDbId: dbId, name: z.string().min(1) }).strict(),
  objectValues: z
    .object({
      ownerDbId: dbId,
      code: z.string().min(1),
      description: text,
      dateFrom: optionalDate,
      dateTo: optionalDate,
      objectKindDbId: dbId,
      posting: z.boolean().optional(),
    })
    .strict(),
  taxTableSetups: z
    .object({
      ownerDbId: dbId,
      taxPercent: decimal,
      account: optionalRef,
      objectValue: optionalRef,
      dateFrom: optionalDate,
      dateTo: optionalDate,
    })
    .strict(),
  currencies: z.object({ ownerDbId: dbId, code: z.string().min(1), description: text }).strict(),
  exchangeRates: z
    .object({
      ownerDbId: dbId,
      currencyFromCode: z.string().min(1),
      currencyToCode: z.string().min(1),
      currencyFromDbId: dbId.nullable().optional(),
      currencyToDbId: dbId.nullable().optional(),
      currencyUnit: z.number().int().positive().optional(),
      exchangeRate: decimal,
      fromDate: date,
      toDate: optionalDate,
    })
    .strict(),
  employees: z
    .object({
      ownerDbId: dbId,
      code: z.string().min(1),
      description: text,
      email: text,
      contact: z.object({ firstName: text, lastName: text }).strict().nullable().optional(),
      employmentFrom: optionalDate,
      employmentTo: optionalDate,
    })
    .strict(),
  projects: z
    .object({
      ownerDbId: dbId,
      code: z.string().min(1),
      description: text,
      fromDate: optionalDate,
      toDate: optionalDate,
      projectManager: optionalRef,
    })
    .strict(),
  assets: z
    .object({
      ownerDbId: dbId,
      code: z.string().min(1),
      description: text,
      datePurchased: optionalDate,
      dateFrom: optionalDate,
      dateTo: optionalDate,
      balance: decimal.nullable().optional(),
      currency: optionalRef,
      assetGroup: z
        .object({ dbId: dbId.nullable().optional(), code: text, description: text })
        .strict()
        .nullable()
        .optional(),
      /** The status code (ACTIVE, DISPOSED: closed), served as { dbId name } (shapes.ts). */
      assetStatus: text,
    })
    .strict(),
} satisfies Record<RecordType, z.ZodObject>;

export const tokenSchema = z
  .object({
    name: z.string().min(1),
    entityDbId: dbId,
    scopes: z.array(z.enum(SCOPES)),
    /** Optional fixed secret (tests like predictable tokens); otherwise one is generated. */
    token: z.string().min(8).optional(),
  })
  .strict();

export const limitsSchema = z
  .object({
    burst: z.boolean().optional(),
    burstMax: z.number().int().positive().optional(),
    burstWindowMs: z.number().int().positive().optional(),
    concurrency: z.boolean().optional(),
    concurrencyMax: z.number().int().positive().optional(),
    creditsPerWindow: z.number().int().min(0).nullable().optional(),
    creditWindowMs: z.number().int().positive().optional(),
    creditCost: z.number().int().min(0).optional(),
    creditsRefusal: z.enum(['http200', 'http429']).optional(),
  })
  .strict();

/** The processing model and/or the lag of reads (either may be left out: it stays as it is). */
export const glImportModelSchema = z
  .object({
    processedLines: z.enum(PROCESSED_LINE_MODELS).optional(),
    lookupLagMs: z.number().int().min(0).max(600_000).optional(),
  })
  .strict();

/** The delta log's settings (either may be left out: it stays as it is). */
export const deltaSettingsSchema = z
  .object({
    /** How long after its change a delta becomes visible (Xledger: about 30 s). */
    lagMs: z.number().int().min(0).max(600_000).optional(),
    /** How long deltas are kept; an older cursor is refused. */
    retentionMs: z.number().int().positive().optional(),
  })
  .strict();

export const closedPeriodSchema = z.object({ closedTo: date.nullable() }).strict();

export const countersResetSchema = z.object({ token: z.string().min(1).optional() }).strict();

/** "field.path: message; …" — a 400 answer that names the offending field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
}

export const introspectionSchema = z.object({ enabled: z.boolean() }).strict();

export const removeFieldSchema = z.object({ type: z.string().min(1), field: z.string().min(1) }).strict();

export const webhookStateSchema = z.object({ state: z.enum(WEBHOOK_STATES) }).strict();

export const webhookDropSchema = z.object({ count: z.number().int().min(1).max(1000).default(1) }).strict();
