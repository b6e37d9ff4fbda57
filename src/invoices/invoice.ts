import { createHash } from 'node:crypto';
import { z } from 'zod';
import { date } from '../datatypes/xledger-fields';
import { DEFAULT_POSTING, type TenantPosting } from '../domain/tenant';
import type { GLImportLine } from '../xledger/gl-import';
import { invoiceDocumentSchema } from './invoice-document';

/**
 * An approved supplier invoice as SEMINE hands it over, and how it becomes one Xledger voucher
 * of GL import lines. Amounts are decimal strings with at most two decimals, as Xledger's.
 */
const AMOUNT = /^-?\d{1,13}(\.\d{1,2})?$/;
const amount = z
  .string()
  .regex(AMOUNT, 'must be a decimal string with at most 13 digits before the point and two after it');
const code = z.string().trim().min(1).max(50);

export const invoiceLineSchema = z
  .object({
    /** Expense account code. */
    accountCode: code,
    /** Gross amount of the line (VAT included), positive for a cost. */
    amount,
    /** VAT code: a TAX_RULE value's code in Xledger. */
    vatCode: code.optional(),
    /** Dimension value codes, by the glObject slot they fill. */
    dimensions: z
      .object({ glObject1: code, glObject2: code, glObject3: code, glObject4: code, glObject5: code })
      .partial()
      .strict()
      .default({}),
    projectCode: code.optional(),
    text: z.string().max(250).optional(),
  })
  .strict();

export const invoiceSchema = z
  .object({
    /** SEMINE's invoice id: the idempotency key, unique per tenant. */
    invoiceId: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[\w.:-]+$/, 'letters, digits, "_", ".", ":" and "-" only'),
    /** The Xledger entity the invoice is posted in: the Entity Owner or one of its clients. */
    entityDbId: z.number().int().positive(),
    supplierCode: code,
    invoiceNumber: z.string().trim().min(1).max(50),
    invoiceDate: date,
    dueDate: date,
    /** Accounting date; defaults to the invoice date. */
    postedDate: date.optional(),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as NOK'),
    /** Gross total; must equal the sum of the lines. */
    totalAmount: amount,
    /** Accounts payable account of the supplier line (Norwegian standard chart: 2400). */
    payableAccountCode: code.default('2400'),
    lines: z.array(invoiceLineSchema).min(1).max(499),
    yourReference: z.string().max(100).optional(),
    paymentReference: z.string().max(100).optional(),
    /**
     * Where SEMINE keeps the invoice image (a URL or document reference). Kept with the invoice,
     * never sent to Xledger: an attachment there is a file uploaded as a multipart part and named
     * in the posting (M: onecore), and a URL string in `invoiceFile` is not one (round three).
     * The file itself comes as `document`.
     */
    attachment: z.string().max(500).optional(),
    /**
     * The invoice's PDF, attached to the voucher in Xledger when the tenant's
     * `posting.attachDocument` is on (invoice-document.ts). Its bytes are kept apart from the
     * outbox document; the invoice keeps only its name, size and digest.
     */
    document: invoiceDocumentSchema.optional(),
  })
  // A misspelt field is an error: a line whose `vatcode` were dropped would post without VAT.
  .strict()
  .superRefine((invoice, ctx) => {
    // zod runs this even when a field failed: only well-formed amounts are added up.
    const amounts = [invoice.totalAmount, ...invoice.lines.map((line) => line.amount)];
    if (!amounts.every((value) => typeof value === 'string' && AMOUNT.test(value))) return;
    const sum = invoice.lines.reduce((total, line) => total + toCents(line.amount), 0n);
    if (sum !== toCents(invoice.totalAmount)) {
      ctx.addIssue({
        code: 'custom',
        path: ['totalAmount'],
        message: `must equal the sum of the lines (${formatCents(sum)})`,
      });
    }
  });

export type InvoiceInput = z.input<typeof invoiceSchema>;
export type Invoice = z.output<typeof invoiceSchema>;

/** The stable key of an invoice's line in Xledger (`extIdentifier`): the look-up before any create. */
export function extIdentifier(tenantId: string, invoiceId: string, lineNumber: number): string {
  return `semine:${tenantId}:${invoiceId}:${lineNumber}`;
}

/** The extIdentifiers of an invoice's voucher lines: the payable line (0), then one per invoice line. */
export function voucherKeys(tenantId: string, invoice: Invoice): string[] {
  return Array.from({ length: invoice.lines.length + 1 }, (_, line) =>
    extIdentifier(tenantId, invoice.invoiceId, line),
  );
}

/** A digest of the invoice as stored: its document counts by its digest, not its bytes. */
export function invoiceContentHash(invoice: Invoice): string {
  const { document, ...rest } = invoice;
  const stored = document ? { ...rest, document: { ...document, contentBase64: undefined } } : rest;
  return createHash('sha256').update(JSON.stringify(stored)).digest('base64url');
}

/**
 * The voucher: one accounts-payable line crediting the supplier with the total (line 0), and
 * one cost line per invoice line. Lines share a trRegNumber derived from the invoice key, so
 * Xledger books them as one voucher; they are sent in one request. Every line carries the
 * tenant's transaction source and job level (every public posting example sends a jobLevel),
 * and `invoiceAmount` beside `amount` (every public posting example sends it: H, help centre;
 * M, onecore) — see lineAmounts.
 */
export function voucherLines(
  tenantId: string,
  invoice: Invoice,
  posting: TenantPosting = DEFAULT_POSTING,
): GLImportLine[] {
  const trRegNumber = voucherNumber(tenantId, invoice.invoiceId);
  const common = {
    postedDate: invoice.postedDate ?? invoice.invoiceDate,
    invoiceDate: invoice.invoiceDate,
    dueDate: invoice.dueDate,
    invoiceNumber: invoice.invoiceNumber,
    currency: { code: invoice.currency },
    transactionSource: { code: posting.transactionSourceCode },
    jobLevel: { ...posting.jobLevel },
    trRegNumber,
    owner: { dbId: invoice.entityDbId },
    ...(invoice.yourReference ? { yourReference: invoice.yourReference } : {}),
    ...(invoice.paymentReference ? { paymentReference: invoice.paymentReference } : {}),
    // Never a URL in invoiceFile (see `attachment` in invoiceSchema).
  };
  const payable: GLImportLine = {
    clientId: extIdentifier(tenantId, invoice.invoiceId, 0),
    node: {
      ...common,
      extIdentifier: extIdentifier(tenantId, invoice.invoiceId, 0),
      account: { code: invoice.payableAccountCode },
      subledger: { code: invoice.supplierCode },
      ...lineAmounts(-toCents(invoice.totalAmount)),
      // The document is sent as a part of the same request, named by its file name (M: onecore);
      // on the payable line only (A), see invoice-document.ts.
      ...(posting.attachDocument && invoice.document ? { invoiceFile: invoice.document.fileName } : {}),
    },
  };
  const costs = invoice.lines.map((line, index): GLImportLine => {
    const key = extIdentifier(tenantId, invoice.invoiceId, index + 1);
    return {
      clientId: key,
      node: {
        ...common,
        extIdentifier: key,
        account: { code: line.accountCode },
        ...lineAmounts(toCents(line.amount)),
        ...(line.vatCode ? { taxRule: { code: line.vatCode } } : {}),
        ...Object.fromEntries(
          Object.entries(line.dimensions).map(([slot, value]) => [slot, { code: value }]),
        ),
        ...(line.projectCode ? { project: { code: line.projectCode } } : {}),
        ...(line.text ? { text: line.text } : {}),
      },
    };
  });
  return [payable, ...costs];
}

/**
 * A line's amount, sent as both `amount` and `invoiceAmount`. The invoice's amounts are in its
 * own currency (`currency` on every line), which is what `invoiceAmount` carries. (A) `amount`
 * gets the same value, as the public examples show it for an invoice in the entity's currency;
 * whether Xledger converts `amount` for an invoice in another currency is not published.
 */
function lineAmounts(cents: bigint): { amount: string; invoiceAmount: string } {
  const value = formatCents(cents);
  return { amount: value, invoiceAmount: value };
}

/** trRegNumber values in public examples have at most 8 digits (A: we keep within them). */
export const MAX_VOUCHER_NUMBER = 99_999_999;

/**
 * A number in 1..99,999,999 from the invoice key: the same invoice always gets the same voucher
 * number. It only groups the lines of one request into one voucher; two invoices that happen to
 * share one are still sent (and found again) by their own extIdentifiers.
 */
export function voucherNumber(tenantId: string, invoiceId: string): number {
  const hash = createHash('sha256').update(`${tenantId}:${invoiceId}`).digest().readUIntBE(0, 6);
  return (hash % MAX_VOUCHER_NUMBER) + 1;
}

/** Exact cents (BigInt): a sum of 499 lines may pass 2^53. */
function toCents(value: string): bigint {
  const negative = value.startsWith('-');
  const [whole = '0', fraction = ''] = value.replace('-', '').split('.');
  const cents = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
  return negative ? -cents : cents;
}

function formatCents(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** Names one invoice of one tenant: what every invoice activity is given. */
export interface InvoiceRef {
  tenantId: string;
  invoiceId: string;
}
