import type { Command } from 'commander';
import { tenantArgument } from './arguments';
import { eventListOptionsSchema, skipEventOptionsSchema } from '../client/events';
import { parseTenantInput } from '../client/input';
import { InvalidInputError } from '../client';
import type { EventList, RedeliveryResult, SkipResult } from '../client/events';
import type { CommandIo } from './command-io';
import { table, when } from './format';

/**
 * `xledger-sync events list <tenant> [--after SEQ] [--limit N]` and
 * `xledger-sync events redeliver <tenant> <eventId>`, on the client API.
 */
export function addEventsCommands(
  program: Command,
  io: Pick<CommandIo, 'withClient' | 'out' | 'json' | 'env'>,
): void {
  const events = program
    .command('events')
    .description("what SEMINE was told: a tenant's events and their delivery");
  events.copyInheritedSettings(program);

  events
    .command('list')
    .description("the tenant's newest events (or those after --after), oldest first, with their delivery")
    .addArgument(tenantArgument())
    .option('--after <seq>', 'events after this seq')
    .option('--limit <n>', 'at most this many (default 50)')
    .option('--json', 'machine-readable JSON on stdout')
    .action(async (tenantId: string, opts: { after?: string; limit?: string; json?: boolean }) => {
      const options = {
        ...(opts.after !== undefined ? { after: integer(opts.after, '--after', tenantId) } : {}),
        ...(opts.limit !== undefined ? { limit: integer(opts.limit, '--limit', tenantId) } : {}),
      };
      // Checked before connecting, as the API checks it (`--limit 0` exits 2 at once).
      parseTenantInput(tenantId, eventListOptionsSchema, options);
      const list = await io.withClient((client) => client.listEvents(tenantId, options));
      if (opts.json) io.json(list);
      else io.out(eventsText(list));
    });

  events
    .command('redeliver')
    .description('send one event again (same webhook-id: receivers de-duplicate by it)')
    .addArgument(tenantArgument())
    .argument('<eventId>')
    .option('--json', 'machine-readable JSON on stdout')
    .action(async (tenantId: string, eventId: string, opts: { json?: boolean }) => {
      const result = await io.withClient((client) => client.redeliverEvent(tenantId, eventId));
      if (opts.json) io.json(result);
      else io.out(redeliveryText(result));
    });

  events
    .command('skip')
    .description(
      'stop delivering one event that waits (a receiver keeps refusing it): the later ones go; recorded with who and when',
    )
    .addArgument(tenantArgument())
    .argument('<eventId>')
    .option('--reason <text>', 'why, recorded with the skip')
    .option('--by <name>', 'who skips it (default: the user running the command)')
    .option('--json', 'machine-readable JSON on stdout')
    .action(
      async (tenantId: string, eventId: string, opts: { reason?: string; by?: string; json?: boolean }) => {
        const options = {
          by: opts.by ?? `${userName(io.env)} (xledger-sync CLI)`,
          ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
        };
        parseTenantInput(tenantId, skipEventOptionsSchema, options);
        const result = await io.withClient((client) => client.skipEvent(tenantId, eventId, options));
        if (opts.json) io.json(result);
        else io.out(skipText(result));
      },
    );
}

function userName(env: NodeJS.ProcessEnv): string {
  return env.USER ?? env.USERNAME ?? env.LOGNAME ?? 'unknown user';
}

function skipText(result: SkipResult): string {
  const what = `Event ${result.eventId} (seq ${result.seq}) of tenant ${result.tenantId}`;
  const reason = result.reason ? ` (${result.reason})` : '';
  return result.skipped
    ? `${what} is skipped${reason}: delivery goes on with the next event.\n`
    : `${what} was already skipped by ${result.by} at ${result.at}${reason}.\n`;
}

function integer(value: string, flag: string, tenantId: string): number {
  if (!/^\d+$/.test(value)) {
    throw new InvalidInputError(tenantId, [{ field: flag, message: 'must be a whole number' }]);
  }
  return Number(value);
}

export function eventsText(list: EventList, now = Date.now()): string {
  const header = `Tenant ${list.tenantId}: ${list.recorded} event(s) recorded, delivery has passed seq ${list.delivered}.\n`;
  if (list.events.length === 0) return `${header}No events.\n`;
  return (
    header +
    table(
      ['seq', 'type', 'occurred', 'delivery', 'attempts', 'id', 'last error'],
      list.events.map((e) => [
        String(e.seq),
        e.type,
        when(e.occurredAt, now),
        e.delivery.state,
        String(e.delivery.attempts),
        e.id,
        e.delivery.lastError ?? '',
      ]),
    )
  );
}

function redeliveryText(result: RedeliveryResult): string {
  return result.queued
    ? `Event ${result.eventId} (seq ${result.seq}) of tenant ${result.tenantId} is queued for redelivery.\n`
    : `Event ${result.eventId} (seq ${result.seq}) of tenant ${result.tenantId} has not been delivered yet: it goes out in its turn.\n`;
}
