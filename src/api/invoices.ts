import { z } from 'zod';
import { InvalidInputError } from '../client';
import { invoiceSchema, type InvoiceInput } from '../invoices/invoice';
import type { ApiRoutes } from './plugin';
import { problems, tenantParams } from './schemas';

/** Invoices: submit one for posting to Xledger exactly once (idempotent by its id), follow it. */

const tags = ['invoices'];
const invoiceParams = tenantParams.extend({ invoiceId: z.string().min(1).max(100) });

const statusSchema = z.object({
  tenantId: z.string(),
  invoiceId: z.string(),
  state: z.enum([
    'pending',
    'posting',
    'unsettled',
    'accepted',
    'posted',
    'rejected',
    'retrying',
    'needs_attention',
  ]),
  reasons: z.array(z.string()).describe('Why it was rejected'),
  lastError: z.string().nullable(),
  xledger: z.object({ lineDbIds: z.array(z.number().int()), transactionDbId: z.number().int().nullable() }),
  submittedAt: z.string(),
  updatedAt: z.string(),
  postedAt: z.string().nullable(),
});

/** An invoice's PDF may travel with it (base64): room for the document's 10 MB and more. */
const INVOICE_BODY_LIMIT = 32 * 1024 * 1024;

export const invoiceRoutes: ApiRoutes = async (app, { client }) => {
  app.put('/v1/tenants/:tenantId/invoices/:invoiceId', {
    config: { scope: 'write' },
    bodyLimit: INVOICE_BODY_LIMIT,
    schema: {
      operationId: 'submitInvoice',
      summary: 'Submit an approved invoice for posting; the same invoice again returns its status',
      tags,
      params: invoiceParams,
      body: invoiceSchema,
      response: { 200: statusSchema, ...problems(404, 409) },
    },
    handler: async (request) => {
      const { tenantId, invoiceId } = request.params;
      if (request.body.invoiceId !== invoiceId) {
        throw new InvalidInputError(tenantId, [
          { field: 'invoiceId', message: 'must equal the invoice id in the path' },
        ]);
      }
      // The body as sent: the client validates it again, as for any caller.
      return client.submitInvoice(tenantId, request.sentBody as InvoiceInput);
    },
  });

  app.get('/v1/tenants/:tenantId/invoices/:invoiceId', {
    config: { scope: 'read' },
    schema: {
      operationId: 'invoiceStatus',
      summary: "An invoice's state, reasons and Xledger ids",
      tags,
      params: invoiceParams,
      response: { 200: statusSchema, ...problems(404) },
    },
    handler: async (request) => client.invoiceStatus(request.params.tenantId, request.params.invoiceId),
  });
};
