import type { Command } from 'commander';
import { dataTypesOption, stateFilterOption, tenantArgument } from './arguments';
import { z } from 'zod';
import { InvalidInputError, validateTenantConfig, type ListTenantsFilter } from '../client';
import { DATA_TYPES, masterDataTypeNames } from '../domain/data-types';
import { tenantIdSchema, type TenantConfigInput } from '../domain/tenant';
import { jsonOption, readJsonFile, type CommandIo } from './command-io';
import { checkText, statusText, tenantsTable, tenantSummary } from './format';
import { followResync } from './resync-wait';
import { afterSaveLines, ticketText } from './state-format';

const knownTypes = masterDataTypeNames as [string, ...string[]];

const resyncArgsSchema = z
  .object({
    tenantId: tenantIdSchema,
    type: z
      .array(
        z.enum(DATA_TYPES, {
          error: (issue) =>
            `unknown data type ${JSON.stringify(issue.input)} (known: ${knownTypes.join(', ')})`,
        }),
      )
      .min(1)
      .optional(),
    full: z.boolean().default(false),
    allowMassDelete: z.boolean().default(false),
  })
  .refine((args) => !args.allowMassDelete || args.full, {
    message: '--allow-mass-delete needs --full',
    path: ['allowMassDelete'],
  });

/** `xledger-sync tenant …`: onboard, inspect and control tenants. */
export function addTenantCommands(program: Command, io: CommandIo): void {
  const tenant = program.command('tenant').description('onboard, inspect and control tenants');
  // Subcommands inherit the error and output handling.
  tenant.copyInheritedSettings(program);

  tenant
    .command('upsert')
    .description(
      'onboard a tenant or change its settings from a JSON file (the same file twice changes nothing); ' +
        "refused when operations it needs do not fit Xledger's live schema",
    )
    .requiredOption('-f, --file <path>', 'tenant config JSON; "-" reads stdin')
    .option(
      '--accept-schema-mismatch',
      "save it even when operations it needs do not fit Xledger's schema (its status keeps the warning)",
    )
    .option('--no-first-sync', 'a new tenant: leave each data type to its first schedule slot')
    .addOption(jsonOption())
    .action(
      async (opts: { file: string; acceptSchemaMismatch?: boolean; firstSync?: boolean; json?: boolean }) => {
        const input = await readJsonFile(opts.file, io.stdin);
        // Exit 2 naming the field before any server is contacted, even when none answers.
        validateTenantConfig(input, io.config());
        const settings = await io.withClient((client) =>
          // Validated just above (the client validates again): JSON typed as the input it is.
          client.upsertTenant(input as TenantConfigInput, {
            acceptSchemaMismatch: opts.acceptSchemaMismatch === true,
            firstSync: opts.firstSync !== false,
          }),
        );
        if (opts.json) io.json(settings);
        else io.out(tenantSummary(settings) + afterSaveLines(settings));
      },
    );

  tenant
    .command('check')
    .description(
      "the live schema check with the tenant's stored token and owner: what its enabled data types and invoices need decides the exit code",
    )
    .addArgument(tenantArgument())
    .addOption(jsonOption())
    .action(async (tenantId: string, opts: { json?: boolean }) => {
      const report = await io.withClient((client) => client.checkTenant(tenantId));
      if (opts.json) io.json(report);
      else io.out(checkText(report));
      if (!report.ok) io.fail();
    });

  tenant
    .command('list')
    .description('list the tenants, their states and settings (never their tokens)')
    .addOption(
      stateFilterOption(
        'only tenants where it or a data type is in one of these states, e.g. failed,needs_attention ' +
          '(never_run, syncing, ok, failed, paused, needs_attention)',
      ),
    )
    .addOption(jsonOption())
    .action(async (opts: { state?: string; json?: boolean }) => {
      const tenants = await io.withClient((client) =>
        // Checked by stateFilterOption before connecting (and by the client again).
        client.listTenants(
          opts.state === undefined ? {} : { state: opts.state as ListTenantsFilter['state'] },
        ),
      );
      if (opts.json) io.json(tenants);
      else io.out(tenantsTable(tenants));
    });

  tenant
    .command('status')
    .description("a tenant's schedules, runs in progress, last run figures and last errors")
    .addArgument(tenantArgument())
    .addOption(jsonOption())
    .action(async (tenantId: string, opts: { json?: boolean }) => {
      const status = await io.withClient((client) => client.tenantStatus(tenantId));
      if (opts.json) io.json(status);
      else io.out(statusText(status));
    });

  tenant
    .command('resync')
    .description(
      'sync now (the resync signal); a type that is running is coalesced, never run twice; prints the runs that took it',
    )
    .addArgument(tenantArgument())
    .addOption(dataTypesOption(knownTypes))
    .option('--full', 'full pass, which also reconciles deletions (default: incremental)')
    .option(
      '--allow-mass-delete',
      'with --full: apply deletions that the mass-deletion guard held back (status: needs review)',
    )
    .option('--wait', 'follow the runs live until they end; exit 1 if one fails')
    .addOption(jsonOption())
    .action(
      async (
        tenantId: string,
        opts: { type?: string[]; full?: boolean; allowMassDelete?: boolean; wait?: boolean; json?: boolean },
      ) => {
        const args = parseResyncArgs(tenantId, opts);
        const request = {
          tenantId: args.tenantId,
          dataTypes: args.type ?? 'all',
          full: args.full,
          ...(args.allowMassDelete ? { allowMassDelete: true } : {}),
        };
        await io.withClient(async (client) => {
          const ticket = await client.forceResync(args.tenantId, {
            ...(args.type ? { dataTypes: args.type } : {}),
            full: args.full,
            ...(args.allowMassDelete ? { allowMassDelete: true } : {}),
          });
          if (!opts.wait) {
            if (opts.json) io.json({ resync: request, ...ticket });
            else io.out(ticketText(ticket, args));
            return;
          }
          if (!opts.json) io.out(ticketText(ticket, args));
          const progress = await followResync(client, ticket, opts.json ? () => undefined : io.out);
          if (opts.json) io.json({ resync: request, ...ticket, progress });
          if (progress.failed) io.fail();
        });
      },
    );

  tenant
    .command('pause')
    .description("pause the tenant's schedules (runs in progress finish)")
    .addArgument(tenantArgument())
    .addOption(jsonOption())
    .action(async (tenantId: string, opts: { json?: boolean }) => {
      await io.withClient((client) => client.pauseTenant(tenantId, 'paused with the xledger-sync CLI'));
      if (opts.json) io.json({ tenantId, paused: true });
      else io.out(`Tenant ${tenantId} paused.\n`);
    });

  tenant
    .command('resume')
    .description("resume the tenant's schedules")
    .addArgument(tenantArgument())
    .addOption(jsonOption())
    .action(async (tenantId: string, opts: { json?: boolean }) => {
      await io.withClient((client) => client.resumeTenant(tenantId, 'resumed with the xledger-sync CLI'));
      if (opts.json) io.json({ tenantId, paused: false });
      else io.out(`Tenant ${tenantId} resumed.\n`);
    });

  tenant
    .command('remove')
    .description(
      'remove the tenant, its schedules, its workflow and its running syncs; --purge also deletes its synced data',
    )
    .addArgument(tenantArgument())
    .option('--purge', "also delete the tenant's synced data from MongoDB")
    .option('--force', 'remove it even with invoices not yet posted or rejected (ends their posting)')
    .addOption(jsonOption())
    .action(async (tenantId: string, opts: { purge?: boolean; force?: boolean; json?: boolean }) => {
      await io.withClient((client) =>
        client.removeTenant(tenantId, { purge: opts.purge === true, force: opts.force === true }),
      );
      if (opts.json) io.json({ tenantId, removed: true, purged: opts.purge === true });
      else io.out(`Tenant ${tenantId} removed${opts.purge ? ' and its synced data purged' : ''}.\n`);
    });
}

function parseResyncArgs(
  tenantId: string,
  opts: { type?: string[]; full?: boolean; allowMassDelete?: boolean },
) {
  const parsed = resyncArgsSchema.safeParse({
    tenantId,
    // `--type suppliers,accounts` and `--type suppliers --type accounts` both work.
    type: opts.type?.flatMap((value) => value.split(',')).filter((value) => value.length > 0),
    full: opts.full === true,
    allowMassDelete: opts.allowMassDelete === true,
  });
  if (parsed.success) return parsed.data;
  throw new InvalidInputError(
    tenantIdSchema.safeParse(tenantId).success ? tenantId : undefined,
    parsed.error.issues.map((issue) => ({
      field:
        issue.path[0] === 'type'
          ? '--type'
          : issue.path[0] === 'allowMassDelete'
            ? '--allow-mass-delete'
            : issue.path.map(String).join('.') || '(input)',
      message: issue.message,
    })),
  );
}
