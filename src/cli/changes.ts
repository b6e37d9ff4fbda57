import { Option, type Command } from 'commander';
import { tenantArgument } from './arguments';
import { changesInputSchema, dataTypeNameSchema } from '../client/events';
import { InvalidInputError } from '../client';
import { parseTenantInput } from '../client/input';
import { masterDataTypeNames } from '../domain/data-types';
import type { CommandIo } from './command-io';
import { table } from './format';

/**
 * `xledger-sync changes <tenant> --type <dataType> [--after CURSOR] [--limit N] [--json]`: one
 * page of the change feed (api.changes), and the cursor to read on from. The feed is per data
 * type (each has its own cursor), so `--type` names exactly one.
 */
export function addChangesCommand(
  program: Command,
  io: Pick<CommandIo, 'withClient' | 'out' | 'json'>,
): void {
  program
    .command('changes')
    .description(
      "a page of the tenant's change feed of one data type: records changed after --after, and the next cursor",
    )
    .addArgument(tenantArgument())
    .addOption(
      new Option('-t, --type <dataType>', `the data type: ${masterDataTypeNames.join(',')}`)
        .makeOptionMandatory()
        .argParser((value: string) => {
          const parsed = dataTypeNameSchema.safeParse(value.trim());
          if (!parsed.success) {
            throw new InvalidInputError(undefined, [
              { field: '--type', message: parsed.error.issues[0]!.message },
            ]);
          }
          return parsed.data;
        }),
    )
    .option(
      '--after <cursor>',
      'changes after this cursor (`next` of the previous page; default 0: from the start)',
    )
    .option('--limit <n>', 'at most this many changes (default 1000)')
    .option('--json', 'machine-readable JSON on stdout (the page as the API returns it)')
    .action(
      async (tenantId: string, opts: { type: string; after?: string; limit?: string; json?: boolean }) => {
        const options = {
          ...(opts.after !== undefined ? { after: whole(opts.after, '--after', tenantId) } : {}),
          ...(opts.limit !== undefined ? { limit: whole(opts.limit, '--limit', tenantId) } : {}),
        };
        // Checked before connecting, as the API checks it (`--limit 0` exits 2 at once).
        const { data } = parseTenantInput(tenantId, changesInputSchema, { ...options, dataType: opts.type });
        const page = await io.withClient((client) => client.changes(tenantId, data.dataType, options));
        if (opts.json) {
          io.json(page);
          return;
        }
        const header = `Tenant ${page.tenantId}, ${page.dataType}: ${page.changes.length} change(s) after ${options.after ?? 0}.\n`;
        const rows = page.changes.map((c) => [
          String(c.changeSeq),
          c.stream,
          String(c.record.dbId),
          c.deleted ? 'deleted' : 'changed',
        ]);
        const more = page.hasMore
          ? `More: xledger-sync changes ${page.tenantId} --type ${page.dataType} --after ${page.next}\n`
          : `Up to date (head ${page.head}); read on later with --after ${page.next}\n`;
        io.out(
          header +
            (rows.length > 0 ? table(['changeSeq', 'stream', 'dbId', 'change'], rows) : '') +
            `next: ${page.next}\n` +
            more,
        );
      },
    );
}

function whole(value: string, flag: string, tenantId: string): number {
  if (!/^\d+$/.test(value)) {
    throw new InvalidInputError(tenantId, [{ field: flag, message: 'must be a whole number' }]);
  }
  return Number(value);
}
