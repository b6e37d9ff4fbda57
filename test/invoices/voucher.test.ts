import { describe, expect, it } from 'vitest';
import { invoiceSchema, voucherLines, voucherNumber } from '../../src/invoices/invoice';
import { tenantConfigSchema } from '../../src/domain/tenant';
import { demoInvoice } from '../support/invoices';

describe('the voucher sent for an invoice', () => {
  it('keeps trRegNumber within 8 digits, the same for every line and every time', () => {
    for (let n = 0; n < 2_000; n++) {
      const number = voucherNumber(`tenant-${n % 7}`, `INV-${n}`);
      expect(Number.isInteger(number)).toBe(true);
      expect(number).toBeGreaterThanOrEqual(1);
      expect(String(number).length).toBeLessThanOrEqual(8);
    }
    const invoice = invoiceSchema.parse(demoInvoice('inv-8', 'S-1'));
    const lines = voucherLines('acme', invoice);
    const numbers = new Set(lines.map((line) => line.node.trRegNumber));
    expect(numbers.size).toBe(1);
    expect(String([...numbers][0]).length).toBeLessThanOrEqual(8);
    expect(voucherLines('acme', invoice)[0]?.node.trRegNumber).toBe([...numbers][0]);
  });

  it('puts the tenant’s transaction source and job level on every line', () => {
    const invoice = invoiceSchema.parse(demoInvoice('inv-9', 'S-1'));
    const lines = voucherLines('acme', invoice, {
      transactionSourceCode: 'IP',
      jobLevel: { dbId: 4711 },
      attachDocument: false,
    });
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) {
      expect(line.node.transactionSource).toEqual({ code: 'IP' });
      expect(line.node.jobLevel).toEqual({ dbId: 4711 });
    }
  });

  it('tenant posting settings default to transaction source AP and job level { dbSubId: 1 }', () => {
    const tenant = tenantConfigSchema.parse({
      tenantId: 'acme',
      xledger: { token: 'a-long-token' },
      entityOwnerDbId: 101,
    });
    expect(tenant.posting).toEqual({
      transactionSourceCode: 'AP',
      jobLevel: { dbSubId: 1 },
      attachDocument: false,
    });
    const custom = tenantConfigSchema.parse({
      tenantId: 'acme',
      xledger: { token: 'a-long-token' },
      entityOwnerDbId: 101,
      posting: { transactionSourceCode: 'LF', jobLevel: { dbId: 12 } },
    });
    expect(custom.posting).toEqual({
      transactionSourceCode: 'LF',
      jobLevel: { dbId: 12 },
      attachDocument: false,
    });
    expect(() =>
      tenantConfigSchema.parse({
        tenantId: 'acme',
        xledger: { token: 'a-long-token' },
        entityOwnerDbId: 101,
        posting: { jobLevel: { level: 1 } },
      }),
    ).toThrow();
  });
});
