import { Option, type Command } from 'commander';
import type { Db } from 'mongodb';
import { InvalidInputError } from '../client';
import { tenantIdSchema } from '../domain/tenant';
import {
  API_KEY_SCOPES,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  type ApiKey,
  type ApiKeyScope,
} from '../store/api-keys';
import { connectStore } from '../store/db';
import type { CommandIo } from './command-io';
import { table } from './format';

/**
 * `xledger-sync keys create|list|revoke`: the HTTP API's keys (src/store/api-keys.ts), beside
 * `keys rotate` (the encryption key of stored secrets). Needs MongoDB only. `create` prints the
 * key once; nothing can show it again (only its hash is stored).
 */
export function addApiKeyCommands(keys: Command, cli: Pick<CommandIo, 'config' | 'out' | 'json'>): void {
  async function withDb<T>(action: (db: Db) => Promise<T>): Promise<T> {
    const config = cli.config();
    const store = await connectStore(config.mongo.uri, config.mongo.dbName, {
      timeoutMs: config.mongo.timeoutMs,
      requestTimeoutMs: config.mongo.timeoutMs,
    });
    try {
      return await action(store.db);
    } finally {
      await store.close();
    }
  }

  keys
    .command('create')
    .description('create an HTTP API key (printed once: store it now)')
    .addOption(
      new Option('--scopes <scope>', 'read (GETs), write (changes to its tenants) or admin (everything)')
        .choices(API_KEY_SCOPES)
        .makeOptionMandatory(),
    )
    .option('--tenant <tenantId...>', 'the tenants it may touch (repeat or list; default: every tenant)')
    .option('--name <name>', 'what it is for (shown by keys list)')
    .addOption(new Option('--json', 'machine-readable JSON on stdout'))
    .action(async (opts: { scopes: ApiKeyScope; tenant?: string[]; name?: string; json?: boolean }) => {
      const tenants = opts.tenant
        ?.flatMap((value) => value.split(','))
        .map((t) => t.trim())
        .filter(Boolean);
      for (const tenantId of tenants ?? []) {
        const parsed = tenantIdSchema.safeParse(tenantId);
        if (!parsed.success) {
          throw new InvalidInputError(undefined, [
            {
              field: '--tenant',
              message: `${JSON.stringify(tenantId).slice(0, 70)} ${parsed.error.issues[0]?.message ?? 'is invalid'}`,
            },
          ]);
        }
      }
      const created = await withDb((db) =>
        createApiKey(db, {
          scope: opts.scopes,
          tenants: tenants && tenants.length > 0 ? tenants : null,
          name: opts.name ?? null,
        }),
      );
      if (opts.json) cli.json({ key: created.key, ...created.apiKey });
      else
        cli.out(
          `HTTP API key ${created.apiKey.id} (scope ${created.apiKey.scope}, ${tenantsText(created.apiKey)}):\n${created.key}\n` +
            'It is shown this once: only its hash is stored.\n',
        );
    });

  keys
    .command('list')
    .description('the HTTP API keys: id, scope, tenants, state (never the key)')
    .addOption(new Option('--json', 'machine-readable JSON on stdout'))
    .action(async (opts: { json?: boolean }) => {
      const listed = await withDb((db) => listApiKeys(db));
      if (opts.json) return void cli.json(listed);
      if (listed.length === 0) return void cli.out('No HTTP API keys.\n');
      cli.out(
        table(
          ['id', 'scope', 'tenants', 'name', 'created', 'revoked'],
          listed.map((key) => [
            key.id,
            key.scope,
            tenantsText(key),
            key.name ?? '',
            key.createdAt.toISOString(),
            key.revokedAt?.toISOString() ?? '',
          ]),
        ),
      );
    });

  keys
    .command('revoke')
    .description('revoke an HTTP API key: its next request is refused (401)')
    .argument('<keyId>')
    .action(async (keyId: string) => {
      const revoked = await withDb((db) => revokeApiKey(db, keyId));
      if (!revoked)
        throw new InvalidInputError(undefined, [{ field: 'keyId', message: `no HTTP API key ${keyId}` }]);
      cli.out(`HTTP API key ${keyId} revoked.\n`);
    });
}

function tenantsText(key: ApiKey): string {
  return key.tenants ? `tenants ${key.tenants.join(', ')}` : 'every tenant';
}
