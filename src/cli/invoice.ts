import type { Command } from 'commander';
import { tenantArgument } from './arguments';
import { validateInvoiceSubmission } from '../client';
import type { InvoiceInput } from '../invoices/invoice';
import { jsonOption, readJsonFile, type CommandIo } from './command-io';
import { invoiceText } from './format';

/** `xledger-sync invoice submit|status`: hand approved invoices to Xledger, exactly once. */
export function addInvoiceCommands(program: Command, io: CommandIo): void {
  const invoice = program.command('invoice').description('hand approved invoices to Xledger, exactly once');
  invoice.copyInheritedSettings(program);

  invoice
    .command('submit')
    .description('submit an approved invoice from a JSON file (the same invoice twice is a no-op)')
    .addArgument(tenantArgument())
    .requiredOption('-f, --file <path>', 'invoice JSON; "-" reads stdin')
    .addOption(jsonOption())
    .action(async (tenantId: string, opts: { file: string; json?: boolean }) => {
      const input = await readJsonFile(opts.file, io.stdin);
      validateInvoiceSubmission(tenantId, input);
      // Validated just above (the client validates again): JSON typed as the input it is.
      const status = await io.withClient((client) => client.submitInvoice(tenantId, input as InvoiceInput));
      if (opts.json) io.json(status);
      else io.out(invoiceText(status));
    });

  invoice
    .command('status')
    .description("an invoice's state: pending, posting, accepted, posted, rejected or retrying")
    .addArgument(tenantArgument())
    .argument('<invoiceId>')
    .addOption(jsonOption())
    .action(async (tenantId: string, invoiceId: string, opts: { json?: boolean }) => {
      const status = await io.withClient((client) => client.invoiceStatus(tenantId, invoiceId));
      if (opts.json) io.json(status);
      else io.out(invoiceText(status));
    });
}
