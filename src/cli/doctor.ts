import { Option, type Command } from 'commander';
import { parseTenantId } from '../client/input';
import type { CommandIo } from './command-io';
import { runDoctor, type CheckLine } from './doctor-checks';

/**
 * `xledger-sync doctor [--fix] [--tenant <id>] [--json]`: is this environment ready to run the
 * service? One line per check; exit 0 when every check is ok, 1 when one failed, 2 for bad
 * arguments (checked before anything is contacted).
 */
export function addDoctorCommand(
  program: Command,
  io: Pick<CommandIo, 'env' | 'out' | 'json' | 'fail'>,
): void {
  program
    .command('doctor')
    .description(
      'check the configuration, MongoDB, the Temporal namespace, its search attributes, the workers and (--tenant) a webhook',
    )
    .option('--fix', 'register missing search attributes (where the Temporal server allows it)')
    .addOption(
      new Option('--tenant <tenantId>', "also check this tenant's webhook is reachable").argParser(
        (value: string) =>
          // The same rule as every <tenantId>: a malformed one exits 2 before any check.
          parseTenantId(value),
      ),
    )
    .option('--json', 'machine-readable JSON on stdout')
    .action(async (opts: { fix?: boolean; tenant?: string; json?: boolean }) => {
      const lines = await runDoctor({
        env: io.env,
        fix: opts.fix === true,
        ...(opts.tenant ? { tenantId: opts.tenant } : {}),
      });
      const ok = lines.every((l) => l.ok);
      if (!ok) io.fail();
      if (opts.json) io.json({ ok, checks: lines });
      else io.out(doctorText(lines));
    });
}

export function doctorText(lines: readonly CheckLine[]): string {
  const width = Math.max(...lines.map((l) => l.check.length));
  return lines.map((l) => `${l.ok ? 'ok  ' : 'FAIL'}  ${l.check.padEnd(width)}  ${l.detail}\n`).join('');
}
