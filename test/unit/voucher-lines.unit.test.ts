import { describe, expect, it } from 'vitest';
import {
  extIdentifier,
  invoiceSchema,
  voucherKeys,
  voucherLines,
  voucherNumber,
  type InvoiceInput,
} from '../../src/invoices/invoice';

const invoiceInput = (overrides: Partial<InvoiceInput> = {}): InvoiceInput => ({
  invoiceId: 'inv-1',
  entityDbId: 102,
  supplierCode: 'S-7',
  invoiceNumber: 'F-2026-17',
  invoiceDate: '2026-11-02',
  dueDate: '2026-12-02',
  currency: 'NOK',
  totalAmount: '1250.5',
  lines: [
    {
      accountCode: '6300',
      amount: '1000',
      vatCode: '1',
      dimensions: { glObject1: 'DEP-10', glObject3: 'X' },
      projectCode: 'P-9',
      text: 'Rent, November',
    },
    { accountCode: '6800', amount: '250.50' },
  ],
  ...overrides,
});
const cents = (amount: unknown) => Math.round(Number(amount) * 100);

describe('voucherLines: an invoice as one Xledger voucher', () => {
  const invoice = invoiceSchema.parse(invoiceInput());
  const lines = voucherLines('acme', invoice);

  it('credits the supplier with the total on the payable line, then one cost line per invoice line', () => {
    expect(lines).toHaveLength(3);
    expect(lines[0]!.node).toMatchObject({
      account: { code: '2400' },
      subledger: { code: 'S-7' },
      amount: '-1250.50',
    });
    expect(lines[1]!.node).toMatchObject({ account: { code: '6300' }, amount: '1000.00' });
    expect(lines[2]!.node).toMatchObject({ account: { code: '6800' }, amount: '250.50' });
    // A balanced voucher: the lines sum to zero, to the cent.
    expect(lines.reduce((sum, line) => sum + cents(line.node.amount), 0)).toBe(0);
  });

  it('keys every line by tenant, invoice and line number: the clientId, the extIdentifier and voucherKeys agree', () => {
    const keys = voucherKeys('acme', invoice);
    expect(keys).toEqual(['semine:acme:inv-1:0', 'semine:acme:inv-1:1', 'semine:acme:inv-1:2']);
    expect(lines.map((line) => line.clientId)).toEqual(keys);
    expect(lines.map((line) => line.node.extIdentifier)).toEqual(keys);
    expect(extIdentifier('other', 'inv-1', 0)).not.toBe(keys[0]);
  });

  it('puts the invoice’s header on every line: dates, number, currency, owner entity, one trRegNumber', () => {
    for (const line of lines) {
      expect(line.node).toMatchObject({
        postedDate: '2026-11-02',
        invoiceDate: '2026-11-02',
        dueDate: '2026-12-02',
        invoiceNumber: 'F-2026-17',
        currency: { code: 'NOK' },
        owner: { dbId: 102 },
        trRegNumber: voucherNumber('acme', 'inv-1'),
        transactionSource: { code: 'AP' },
        jobLevel: { dbSubId: 1 },
      });
    }
    const posted = voucherLines('acme', invoiceSchema.parse(invoiceInput({ postedDate: '2026-11-30' })));
    expect(posted.every((line) => line.node.postedDate === '2026-11-30')).toBe(true);
  });

  it('maps VAT code, dimensions, project and text of a cost line, and only what is given', () => {
    expect(lines[1]!.node).toMatchObject({
      taxRule: { code: '1' },
      glObject1: { code: 'DEP-10' },
      glObject3: { code: 'X' },
      project: { code: 'P-9' },
      text: 'Rent, November',
    });
    for (const absent of ['taxRule', 'glObject1', 'glObject2', 'project', 'text']) {
      expect(lines[2]!.node).not.toHaveProperty(absent);
    }
    for (const absent of ['yourReference', 'paymentReference', 'invoiceFile']) {
      expect(lines[0]!.node).not.toHaveProperty(absent);
    }
    const referenced = voucherLines(
      'acme',
      invoiceSchema.parse(
        invoiceInput({ yourReference: 'Kari', paymentReference: 'KID-1', attachment: 'doc://42' }),
      ),
    );
    expect(referenced[2]!.node).toMatchObject({ yourReference: 'Kari', paymentReference: 'KID-1' });
  });

  it('never sends the attachment reference as invoiceFile: a URL string is not an attachment in Xledger', () => {
    const withAttachment = voucherLines(
      'acme',
      invoiceSchema.parse(invoiceInput({ attachment: 'https://semine.example/invoices/42.pdf' })),
    );
    for (const line of withAttachment) {
      expect(line.node).not.toHaveProperty('invoiceFile');
      expect(JSON.stringify(line.node)).not.toContain('semine.example');
    }
  });

  it('sends invoiceAmount beside amount on every line, as every public posting example does', () => {
    expect(lines.map((line) => [line.node.amount, line.node.invoiceAmount])).toEqual([
      ['-1250.50', '-1250.50'],
      ['1000.00', '1000.00'],
      ['250.50', '250.50'],
    ]);
  });

  it('handles credit notes: a negative total debits the payable account', () => {
    const credit = invoiceSchema.parse(
      invoiceInput({ totalAmount: '-99.9', lines: [{ accountCode: '6300', amount: '-99.90' }] }),
    );
    const [payable, cost] = voucherLines('acme', credit);
    expect(payable!.node.amount).toBe('99.90');
    expect(cost!.node.amount).toBe('-99.90');
  });

  it('refuses an invoice whose total is not the sum of its lines, naming the field and the sum', () => {
    const parsed = invoiceSchema.safeParse(invoiceInput({ totalAmount: '1250.00' }));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues).toEqual([
      expect.objectContaining({
        path: ['totalAmount'],
        message: 'must equal the sum of the lines (1250.50)',
      }),
    ]);
  });
});
