import type { Command } from 'commander';
import type { CommandIo } from './command-io';

/**
 * `xledger-sync api`: runs the HTTP API (src/api) in the foreground until SIGTERM or SIGINT;
 * configured from the environment (API_PORT, API_HOST, API_RATE_LIMIT_PER_MINUTE, …).
 */
export function addApiCommand(program: Command, cli: Pick<CommandIo, 'config' | 'out'>): void {
  program
    .command('api')
    .description('run the HTTP API (OpenAPI at /openapi.json; keys: xledger-sync keys create)')
    .action(async () => {
      // Loaded here: the other commands need no HTTP server.
      const { startApi } = await import('../api/main');
      const api = await startApi(cli.config());
      cli.out(`HTTP API listening on ${api.url} (OpenAPI document: ${api.url}/openapi.json)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop).once('SIGINT', stop);
      });
      await api.close();
    });
}
