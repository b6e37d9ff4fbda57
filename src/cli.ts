import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { z } from 'zod';
import { addEventsCommands } from './cli/events';
import { checkText, invoiceText, statusText, tenantsTable, tenantSummary } from './cli/format';
import { addKeysCommands } from './cli/keys';
import {
  checkXledger,
  InvalidInputError,
  InvoiceConflictError,
  TenantHasOpenInvoicesError,
  UnknownEventError,
  UnknownInvoiceError,
  UnknownTenantError,
  validateInvoiceSubmission,
  validateTenantConfig,
  xledgerCheckInputSchema,
  XledgerSyncClient,
} from './client';
import { followResync } from './cli/resync-wait';
import { afterSaveLines, ticketText } from './cli/state-format';
import { loadConfig } from './config';
import { masterDataTypeNames } from './domain/data-types';
import { endpointProblem, type EndpointPolicy } from './security/endpoint-policy';
import { tenantIdSchema } from './domain/tenant';
import { version } from './version';

/**
 * `xledger-sync`: the operator's command line, a thin layer over XledgerSyncClient.
 *
 *   xledger-sync xledger check --endpoint URL --token TOKEN [--owner ID] [--json]
 *   xledger-sync tenant upsert --file tenant.json [--accept-schema-mismatch] [--no-first-sync]
 *   xledger-sync tenant list [--state failed,needs_attention] [--json]
 *   xledger-sync tenant status <tenantId> [--json]
 *   xledger-sync tenant check <tenantId> [--json]
 *   xledger-sync tenant resync <tenantId> [--type suppliers accounts] [--full] [--wait]
 *   xledger-sync tenant pause|resume <tenantId>
 *   xledger-sync tenant remove <tenantId> [--purge] [--force]
 *   xledger-sync invoice submit <tenantId> --file invoice.json
 *   xledger-sync invoice status <tenantId> <invoiceId>
 *   xledger-sync events list <tenantId> [--after SEQ] [--limit N]
 *   xledger-sync events redeliver <tenantId> <eventId>
 *   xledger-sync keys rotate [--dry-run] [--json]
 *
 * Configuration comes from the environment (loadConfig). Exit codes: 0 ok, 2 invalid input or
 * unknown tenant (including usage errors), 1 anything else (Temporal/MongoDB unreachable,
 * Xledger refused the token, configuration missing, operations that do not fit Xledger's
 * schema). Errors are one line on stderr. The checks (`xledger check`, `tenant check`) print
 * their report and exit 1 when it finds a problem (a mismatch, a missing scope, an owner the
 * token cannot see); a schema Xledger would not introspect is reported, not a failure.
 */

export interface CliOutput {
  write(chunk: string): unknown;
}

export interface CliIo {
  stdout: CliOutput;
  stderr: CliOutput;
}

export interface CliOptions {
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Read by `tenant upsert --file -`; defaults to process.stdin. */
  stdin?: AsyncIterable<string | Buffer>;
}

const knownTypes = masterDataTypeNames as [string, ...string[]];

const resyncArgsSchema = z
  .object({
    tenantId: tenantIdSchema,
    type: z
      .array(
        z.enum(knownTypes, {
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

const jsonOption = () => new Option('--json', 'machine-readable JSON on stdout');

export async function runCli(argv: string[], io: CliIo, options: CliOptions = {}): Promise<number> {
  const out = (text: string) => io.stdout.write(text);
  const json = (value: unknown) => out(`${JSON.stringify(value, null, 2)}\n`);
  /** A command that ran and reported a problem (the checks) sets 1. */
  let exitCode = 0;

  async function withClient<T>(action: (client: XledgerSyncClient) => Promise<T>): Promise<T> {
    const client = await XledgerSyncClient.connect({ config: loadConfig(options.env ?? process.env) });
    try {
      return await action(client);
    } finally {
      await client.close();
    }
  }

  const program = new Command('xledger-sync')
    .description('Keeps SEMINE in sync with Xledger for many tenants (Temporal + MongoDB)')
    .version(version)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  const xledger = program.command('xledger').description('check an Xledger endpoint and token');
  xledger.copyInheritedSettings(program);

  xledger
    .command('check')
    .description(
      "validate every operation the client sends against Xledger's live schema (introspection); " +
        'with --owner also whether the token sees the owner, and which scopes it lacks. Needs neither Temporal nor MongoDB',
    )
    .requiredOption('--endpoint <url>', 'Xledger GraphQL endpoint, e.g. https://demo.xledger.net/graphql')
    .requiredOption('--token <token>', 'Xledger API token; "-" reads it from stdin (never printed)')
    .option('--owner <dbId>', 'Entity Owner ID: check that the token sees it, and probe its scopes')
    .addOption(jsonOption())
    .action(async (opts: { endpoint: string; token: string; owner?: string; json?: boolean }) => {
      const config = loadConfig(options.env ?? process.env);
      const input = await parseCheckArgs(opts, options.stdin ?? process.stdin, config.xledger.endpointPolicy);
      const report = await checkXledger(input, {
        requestTimeoutMs: config.xledger.requestTimeoutMs,
        endpointPolicy: config.xledger.endpointPolicy,
      });
      if (opts.json) json(report);
      else out(checkText(report));
      if (!report.ok) exitCode = 1;
    });

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
        const input = await readJsonFile(opts.file, options.stdin ?? process.stdin);
        // Exit 2 naming the field before any server is contacted, even when none answers.
        validateTenantConfig(input, loadConfig(options.env ?? process.env));
        const settings = await withClient((client) =>
          client.upsertTenant(input, {
            acceptSchemaMismatch: opts.acceptSchemaMismatch === true,
            firstSync: opts.firstSync !== false,
          }),
        );
        if (opts.json) json(settings);
        else out(tenantSummary(settings) + afterSaveLines(settings));
      },
    );

  tenant
    .command('check')
    .description(
      "the live schema check with the tenant's stored token and owner: what its enabled data types and invoices need decides the exit code",
    )
    .argument('<tenantId>')
    .addOption(jsonOption())
    .action(async (tenantId: string, opts: { json?: boolean }) => {
      const report = await withClient((client) => client.checkTenant(tenantId));
      if (opts.json) json(report);
      else out(checkText(report));
      if (!report.ok) exitCode = 1;
    });

  tenant
    .command('list')
    .description('list the tenants, their states and settings (never their tokens)')
    .option(
      '--state <states>',
      'only tenants where it or a data type is in one of these states, e.g. failed,needs_attention ' +
        '(never_run, syncing, ok, failed, paused, needs_attention)',
    )
    .addOption(jsonOption())
    .action(async (opts: { state?: string; json?: boolean }) => {
      const tenants = await withClient((client) =>
        client.listTenants(opts.state === undefined ? {} : { state: opts.state }),
      );
      if (opts.json) json(tenants);
      else out(tenantsTable(tenants));
    });

  tenant
    .command('status')
    .description("a tenant's schedules, runs in progress, last run figures and last errors")
    .argument('<tenantId>')
    .addOption(jsonOption())
    .action(async (tenantId: string, opts: { json?: boolean }) => {
      const status = await withClient((client) => client.tenantStatus(tenantId));
      if (opts.json) json(status);
      else out(statusText(status));
    });

  tenant
    .command('resync')
    .description(
      'sync now (the resync signal); a type that is running is coalesced, never run twice; prints the runs that took it',
    )
    .argument('<tenantId>')
    .option('-t, --type <dataTypes...>', `data types (default: all enabled): ${knownTypes.join(' ')}`)
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
        await withClient(async (client) => {
          const ticket = await client.forceResync(args.tenantId, {
            ...(args.type ? { dataTypes: args.type } : {}),
            full: args.full,
            ...(args.allowMassDelete ? { allowMassDelete: true } : {}),
          });
          if (!opts.wait) {
            if (opts.json) json({ resync: request, ...ticket });
            else out(ticketText(ticket, args));
            return;
          }
          if (!opts.json) out(ticketText(ticket, args));
          const progress = await followResync(client, ticket, opts.json ? () => undefined : out);
          if (opts.json) json({ resync: request, ...ticket, progress });
          if (progress.failed) exitCode = 1;
        });
      },
    );

  tenant
    .command('pause')
    .description("pause the tenant's schedules (runs in progress finish)")
    .argument('<tenantId>')
    .addOption(jsonOption())
    .action(async (tenantId: string, opts: { json?: boolean }) => {
      await withClient((client) => client.pauseTenant(tenantId, 'paused with the xledger-sync CLI'));
      if (opts.json) json({ tenantId, paused: true });
      else out(`Tenant ${tenantId} paused.\n`);
    });

  tenant
    .command('resume')
    .description("resume the tenant's schedules")
    .argument('<tenantId>')
    .addOption(jsonOption())
    .action(async (tenantId: string, opts: { json?: boolean }) => {
      await withClient((client) => client.resumeTenant(tenantId, 'resumed with the xledger-sync CLI'));
      if (opts.json) json({ tenantId, paused: false });
      else out(`Tenant ${tenantId} resumed.\n`);
    });

  tenant
    .command('remove')
    .description(
      'remove the tenant, its schedules, its workflow and its running syncs; --purge also deletes its synced data',
    )
    .argument('<tenantId>')
    .option('--purge', "also delete the tenant's synced data from MongoDB")
    .option('--force', 'remove it even with invoices not yet posted or rejected (ends their posting)')
    .addOption(jsonOption())
    .action(async (tenantId: string, opts: { purge?: boolean; force?: boolean; json?: boolean }) => {
      await withClient((client) =>
        client.removeTenant(tenantId, { purge: opts.purge === true, force: opts.force === true }),
      );
      if (opts.json) json({ tenantId, removed: true, purged: opts.purge === true });
      else out(`Tenant ${tenantId} removed${opts.purge ? ' and its synced data purged' : ''}.\n`);
    });

  const invoice = program.command('invoice').description('hand approved invoices to Xledger, exactly once');
  invoice.copyInheritedSettings(program);

  invoice
    .command('submit')
    .description('submit an approved invoice from a JSON file (the same invoice twice is a no-op)')
    .argument('<tenantId>')
    .requiredOption('-f, --file <path>', 'invoice JSON; "-" reads stdin')
    .addOption(jsonOption())
    .action(async (tenantId: string, opts: { file: string; json?: boolean }) => {
      const input = await readJsonFile(opts.file, options.stdin ?? process.stdin);
      validateInvoiceSubmission(tenantId, input);
      const status = await withClient((client) => client.submitInvoice(tenantId, input));
      if (opts.json) json(status);
      else out(invoiceText(status));
    });

  invoice
    .command('status')
    .description("an invoice's state: pending, posting, accepted, posted, rejected or retrying")
    .argument('<tenantId>')
    .argument('<invoiceId>')
    .addOption(jsonOption())
    .action(async (tenantId: string, invoiceId: string, opts: { json?: boolean }) => {
      const status = await withClient((client) => client.invoiceStatus(tenantId, invoiceId));
      if (opts.json) json(status);
      else out(invoiceText(status));
    });

  addEventsCommands(program, { withClient, out, json });
  addKeysCommands(program, {
    config: () => loadConfig(options.env ?? process.env),
    out,
    json,
    fail: () => (exitCode = 1),
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already written its message (or the help text).
      if (error.exitCode === 0) return 0;
      return error.code === 'commander.help' ? 1 : 2;
    }
    io.stderr.write(`error: ${oneLine(error)}\n`);
    return exitCodeOf(error);
  }
}

/**
 * `xledger check`'s options, validated before any request; errors name the option, never its
 * value (the token).
 */
async function parseCheckArgs(
  opts: { endpoint: string; token: string; owner?: string },
  stdin: AsyncIterable<string | Buffer>,
  endpointPolicy: EndpointPolicy,
): Promise<{ endpoint: string; token: string; ownerDbId?: number }> {
  const token = opts.token === '-' ? (await readAll(stdin)).trim() : opts.token;
  const owner = opts.owner;
  const input = {
    endpoint: opts.endpoint,
    token,
    ...(owner !== undefined ? { ownerDbId: /^\d+$/.test(owner) ? Number(owner) : owner } : {}),
  };
  const parsed = xledgerCheckInputSchema.safeParse(input);
  if (parsed.success) {
    const problem = endpointProblem(parsed.data.endpoint, endpointPolicy);
    if (problem) throw new InvalidInputError(undefined, [{ field: '--endpoint', message: problem }]);
    return parsed.data;
  }
  const flags: Record<string, string> = { endpoint: '--endpoint', token: '--token', ownerDbId: '--owner' };
  throw new InvalidInputError(
    undefined,
    parsed.error.issues.map((issue) => ({
      field: flags[String(issue.path[0])] ?? (issue.path.map(String).join('.') || '(input)'),
      message: issue.message,
    })),
  );
}

async function readAll(stream: AsyncIterable<string | Buffer>): Promise<string> {
  const chunks: string[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
  return chunks.join('');
}

export function exitCodeOf(error: unknown): number {
  return error instanceof InvalidInputError ||
    error instanceof UnknownTenantError ||
    error instanceof UnknownInvoiceError ||
    error instanceof UnknownEventError ||
    error instanceof InvoiceConflictError ||
    error instanceof TenantHasOpenInvoicesError
    ? 2
    : 1;
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').trim();
}

function parseResyncArgs(
  tenantId: string,
  opts: { type?: string[]; full?: boolean; allowMassDelete?: boolean },
) {
  const parsed = resyncArgsSchema.safeParse({
    tenantId,
    // `--type suppliers accounts` and `--type suppliers,accounts` both work.
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

async function readJsonFile(path: string, stdin: AsyncIterable<string | Buffer>): Promise<unknown> {
  let text: string;
  try {
    if (path === '-') {
      text = await readAll(stdin);
    } else {
      text = await readFile(path, 'utf8');
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidInputError(undefined, [
      { field: '--file', message: `cannot read ${path}${code ? ` (${code})` : ''}` },
    ]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // V8's message quotes the text around the mistake, which may be the token: keep only where.
    const where = /(position \d+|line \d+ column \d+)/.exec((error as Error).message)?.[1];
    throw new InvalidInputError(undefined, [
      { field: '--file', message: `${path} is not valid JSON${where ? ` (at ${where})` : ''}` },
    ]);
  }
}

/** Entry point for `tsx src/cli.ts` and bin/xledger-sync.js. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await runCli(argv, { stdout: process.stdout, stderr: process.stderr });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
