import { Option, type Command } from 'commander';
import { connectStore } from '../store/db';
import { reencryptSecrets, type RotationReport } from '../store/secret-rotation';
import { cipherFromConfig } from '../store/token-cipher';
import { addApiKeyCommands } from './api-keys';
import type { CommandIo } from './command-io';

/**
 * `xledger-sync keys create|list|revoke`: the HTTP API's keys (api-keys.ts).
 *
 * `xledger-sync keys rotate [--dry-run] [--json]`: re-encrypts every stored secret under
 * TOKEN_ENCRYPTION_KEY, reading the old ones with TOKEN_ENCRYPTION_KEY_PREVIOUS (the README's
 * runbook has the whole procedure). Needs MongoDB only. Exits 1 when a secret could not be
 * decrypted with any configured key (each is named; no secret is ever printed).
 */
export function addKeysCommands(
  program: Command,
  cli: Pick<CommandIo, 'config' | 'out' | 'json' | 'fail'>,
): void {
  const keys = program
    .command('keys')
    .description('HTTP API keys (create, list, revoke) and the encryption key of stored secrets (rotate)');
  keys.copyInheritedSettings(program);
  addApiKeyCommands(keys, cli);
  keys
    .command('rotate')
    .description(
      're-encrypt every stored secret under TOKEN_ENCRYPTION_KEY, reading it with TOKEN_ENCRYPTION_KEY_PREVIOUS; safe to run again',
    )
    .option('--dry-run', 'count what would be re-encrypted, change nothing')
    .addOption(new Option('--json', 'machine-readable JSON on stdout'))
    .action(async (opts: { dryRun?: boolean; json?: boolean }) => {
      const config = cli.config();
      const cipher = cipherFromConfig(config);
      const store = await connectStore(config.mongo.uri, config.mongo.dbName, {
        timeoutMs: config.mongo.timeoutMs,
        requestTimeoutMs: config.mongo.timeoutMs,
      });
      let report: RotationReport;
      try {
        report = await reencryptSecrets(store.db, cipher, { dryRun: opts.dryRun === true });
      } finally {
        await store.close();
      }
      if (opts.json) cli.json({ keyId: cipher.currentKeyId, dryRun: opts.dryRun === true, ...report });
      else cli.out(rotationText(report, cipher.currentKeyId, opts.dryRun === true));
      if (report.failed.length > 0) cli.fail();
    });
}

function rotationText(report: RotationReport, keyId: string, dryRun: boolean): string {
  const lines = [
    `${report.checked} stored secret(s); current key ${keyId}`,
    `${dryRun ? 'to re-encrypt' : 're-encrypted'}: ${report.reencrypted}`,
    `already under the current key: ${report.current + report.changedMeanwhile}`,
    ...(report.failed.length > 0
      ? [
          `not decryptable with any configured key: ${report.failed.length}`,
          ...report.failed.map((failure) => `  ${failure.secret}: ${failure.error}`),
        ]
      : []),
  ];
  return `${lines.join('\n')}\n`;
}
