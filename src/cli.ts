import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import type { CommandIo } from './cli/command-io';
import { addChangesCommand } from './cli/changes';
import { addDoctorCommand } from './cli/doctor';
import { addApiCommand } from './cli/api';
import { addEventsCommands } from './cli/events';
import { addInvoiceCommands } from './cli/invoice';
import { addKeysCommands } from './cli/keys';
import { addTenantCommands } from './cli/tenant';
import { addXledgerCommands } from './cli/xledger';
import {
  InvalidInputError,
  InvoiceConflictError,
  TenantHasOpenInvoicesError,
  UnknownEventError,
  UnknownInvoiceError,
  UnknownTenantError,
  type XledgerSyncClient,
} from './client';
import { connectWithConfig } from './client/connect-with-config';
import { loadConfig } from './config';
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
 *   xledger-sync events skip <tenantId> <eventId> [--reason TEXT] [--by NAME]
 *   xledger-sync keys rotate [--dry-run] [--json]
 *   xledger-sync changes <tenantId> --type <dataType> [--after CURSOR] [--limit N] [--json]
 *   xledger-sync doctor [--fix] [--tenant <tenantId>] [--json]
 *   xledger-sync keys create --scopes read|write|admin [--tenant <id>...] [--name N] [--json]
 *   xledger-sync keys list [--json] | keys revoke <keyId>
 *   xledger-sync api          (the HTTP API, until SIGTERM/SIGINT)
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

export async function runCli(argv: string[], io: CliIo, options: CliOptions = {}): Promise<number> {
  const out = (text: string) => io.stdout.write(text);
  const json = (value: unknown) => out(`${JSON.stringify(value, null, 2)}\n`);
  /** A command that ran and reported a problem (the checks) sets 1. */
  let exitCode = 0;

  async function withClient<T>(action: (client: XledgerSyncClient) => Promise<T>): Promise<T> {
    const client = await connectWithConfig(loadConfig(options.env ?? process.env));
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

  const commands: CommandIo = {
    withClient,
    config: () => loadConfig(options.env ?? process.env),
    env: options.env ?? process.env,
    stdin: options.stdin ?? process.stdin,
    out,
    json,
    fail: () => (exitCode = 1),
  };
  addXledgerCommands(program, commands);
  addTenantCommands(program, commands);
  addInvoiceCommands(program, commands);
  addEventsCommands(program, commands);
  addKeysCommands(program, commands);
  addChangesCommand(program, commands);
  addDoctorCommand(program, commands);
  addApiCommand(program, commands);

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

/** Entry point for `tsx src/cli.ts` and bin/xledger-sync.js. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await runCli(argv, { stdout: process.stdout, stderr: process.stderr });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
