import type { Command } from 'commander';
import { checkXledger, InvalidInputError, xledgerCheckInputSchema } from '../client';
import { endpointProblem, type EndpointPolicy } from '../security/endpoint-policy';
import { jsonOption, readAll, type CommandIo } from './command-io';
import { checkText } from './format';

/** `xledger-sync xledger check`: needs neither Temporal nor MongoDB. */
export function addXledgerCommands(program: Command, io: CommandIo): void {
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
      const config = io.config();
      const input = await parseCheckArgs(opts, io.stdin, config.xledger.endpointPolicy);
      const report = await checkXledger(input, {
        requestTimeoutMs: config.xledger.requestTimeoutMs,
        endpointPolicy: config.xledger.endpointPolicy,
      });
      if (opts.json) io.json(report);
      else io.out(checkText(report));
      if (!report.ok) io.fail();
    });
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
