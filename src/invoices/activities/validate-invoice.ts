import type { Db } from 'mongodb';
import type { ActivityDeps } from '../../activities/deps';
import { accountsStream } from '../../datatypes/accounts';
import { announceInvoiceOutcome } from '../outcome-event';
import { currenciesStream } from '../../datatypes/currencies';
import { objectValuesStream } from '../../datatypes/dimensions';
import { projectsStream } from '../../datatypes/projects';
import { suppliersStream } from '../../datatypes/suppliers';
import { taxRulesStream } from '../../datatypes/vat-codes';
import { findIn } from '../../store/bounded';
import { loadEntities } from '../../store/entities';
import { type Invoice, type InvoiceRef } from '../invoice';
import { getOutboxInvoice } from '../outbox';
import { whileHeartbeating } from './keep-alive';
import { settleRejected } from './posting-outcomes';
import type { StoredRecord } from '../../domain/records';

/**
 * Checks the invoice against the synced master data before anything is sent: the entity is
 * the tenant's owner or one of its clients, and the supplier, accounts, VAT codes, dimension
 * values, project and currency exist and are visible to that entity. A failure ends the
 * invoice as `rejected` with every reason — without a request to Xledger.
 */
export function createValidateInvoice(deps: ActivityDeps) {
  return (ref: InvoiceRef) =>
    whileHeartbeating((progress) => {
      progress.at('validating');
      return validateInvoice(ref);
    });

  async function validateInvoice(ref: InvoiceRef): Promise<{ ok: boolean; reasons: string[] }> {
    const stored = await getOutboxInvoice(deps.db, ref.tenantId, ref.invoiceId);
    if (!stored) throw new Error(`Invoice ${ref.invoiceId} of tenant ${ref.tenantId} is not in the outbox`);
    if (stored.state === 'rejected') {
      await announceInvoiceOutcome(deps, ref.tenantId, ref.invoiceId); // if an earlier attempt died before it
      return { ok: false, reasons: stored.reasons };
    }
    const tenant = await deps.tenants.get(ref.tenantId);
    const reasons = await problemsOf(deps.db, ref.tenantId, tenant.entityOwnerDbId, stored.invoice);
    if (reasons.length > 0) {
      const settlement = await settleRejected(deps, ref, reasons, stored.xledger);
      // Settled before (posted by an attempt that got this far, in theory): that decision holds.
      return { ok: settlement.state !== 'rejected', reasons: settlement.reasons };
    }
    return { ok: reasons.length === 0, reasons };
  }
}

async function problemsOf(db: Db, tenantId: string, ownerDbId: number, invoice: Invoice): Promise<string[]> {
  const entity = invoice.entityDbId;
  if (entity !== ownerDbId) {
    const entities = await loadEntities(db, tenantId);
    if (!entities.some((e) => e.dbId === entity && e.parentDbId === ownerDbId)) {
      return [`entityDbId: entity ${entity} is neither the Entity Owner ${ownerDbId} nor one of its clients`];
    }
  }
  const missing = async (collection: string, codes: string[], what: string, field: string) => {
    const wanted = [...new Set(codes)];
    if (wanted.length === 0) return [];
    const known = new Set<unknown>();
    for await (const doc of findIn(
      db.collection<StoredRecord>(collection),
      { tenantId, deletedAt: null, $or: [{ visibility: 'owner' }, { entityDbId: entity }] },
      'code',
      wanted,
      { projection: { code: 1 } },
    ))
      known.add(doc.code);
    return wanted
      .filter((code) => !known.has(code))
      .map((code) => `${field}: unknown ${what} ${code} for entity ${entity}`);
  };
  const dimensionCodes = invoice.lines.flatMap((line) =>
    Object.values(line.dimensions).filter((v): v is string => !!v),
  );
  const checks = await Promise.all([
    missing(suppliersStream.collection, [invoice.supplierCode], 'supplier', 'supplierCode'),
    missing(
      accountsStream.collection,
      [invoice.payableAccountCode, ...invoice.lines.map((line) => line.accountCode)],
      'account',
      'accountCode',
    ),
    missing(
      taxRulesStream.collection,
      invoice.lines.flatMap((line) => (line.vatCode ? [line.vatCode] : [])),
      'VAT code',
      'vatCode',
    ),
    missing(objectValuesStream.collection, dimensionCodes, 'dimension value', 'dimensions'),
    missing(
      projectsStream.collection,
      invoice.lines.flatMap((line) => (line.projectCode ? [line.projectCode] : [])),
      'project',
      'projectCode',
    ),
    missing(currenciesStream.collection, [invoice.currency], 'currency', 'currency'),
  ]);
  return checks.flat();
}
