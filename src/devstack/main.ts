/**
 * Runs the local servers in the foreground with persistent state in `.data/` on the usual
 * ports (7233 Temporal gRPC, 8233 Web UI, 27017 MongoDB wire), until Ctrl-C.
 * `npx tsx src/devstack/main.ts`; the ports move with DEVSTACK_* variables (see ports.ts).
 */
import { pathToFileURL } from 'node:url';
import { devstackLog } from './log';
import { fixedPortsFromEnv } from './ports';
import { startDevStack, type DevStack } from './stack';

export async function runDevStackForeground(): Promise<DevStack> {
  const ports = fixedPortsFromEnv();
  // Only called after startDevStack returned (the exit handler is attached once it is up).
  const shutdown = async (code: number) => {
    await stack.stop();
    process.exit(code);
  };
  const stack = await startDevStack({
    dataDir: process.env.DEVSTACK_DATA_DIR || '.data',
    temporal: ports.temporal,
    mongo: ports.mongo,
    onUnexpectedExit: (err) => {
      devstackLog.error({ err }, 'a dev server died; stopping the rest');
      void shutdown(1);
    },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shutdown(0));
  return stack;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runDevStackForeground().then(
    (stack) => {
      const lines = [
        '',
        `  Temporal gRPC    ${stack.temporal.address}  (namespace ${stack.temporal.namespace})`,
        `  Temporal Web UI  ${stack.temporal.uiUrl ?? '(headless)'}`,
        `  MongoDB          ${stack.mongoKind === 'external' ? '(MONGODB_URI)' : stack.mongoUri}  [${stack.mongoKind}]`,
        `  data             ${stack.dataDir}`,
        `  logs             ${stack.logDir}`,
        '',
        '  Ctrl-C stops both servers.',
        '',
      ];
      process.stdout.write(lines.join('\n') + '\n');
    },
    (err: unknown) => {
      devstackLog.error({ err }, 'could not start the dev stack');
      process.exitCode = 1;
    },
  );
}
