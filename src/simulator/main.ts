/**
 * Runs the simulator on its own:
 *   npx tsx src/simulator/main.ts --seed 1 --suppliers 100000 --port 4000 --admin-port 4001
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { logger } from '../logger';
import {
  DEFAULT_PROCESSED_LINE_MODEL,
  PROCESSED_LINE_MODELS,
  SEED_ENTITIES,
  SEED_TOKENS,
  startSimulator,
} from './index';

const port = z.coerce.number().int().min(0).max(65_535);
const flag = z.enum(['true', 'false', 'on', 'off']).transform((value) => value === 'true' || value === 'on');

const optionsSchema = z
  .object({
    seed: z.coerce.number().int().min(0).default(1),
    suppliers: z.coerce.number().int().min(0).max(5_000_000).default(200),
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(4000),
    'admin-port': port.default(4001),
    'import-delay-ms': z.coerce.number().int().min(0).default(1000),
    'processed-lines': z.enum(PROCESSED_LINE_MODELS).default(DEFAULT_PROCESSED_LINE_MODEL),
    burst: flag.default(false),
    concurrency: flag.default(false),
    'credits-per-hour': z.coerce.number().int().min(0).optional(),
    'credits-refusal': z.enum(['http200', 'http429']).default('http200'),
    'delta-retention-hours': z.coerce.number().positive().default(72),
    // Xledger: a delta shows about 30 s after its change (M: Profitbase).
    'delta-lag-ms': z.coerce.number().int().min(0).max(600_000).default(30_000),
    introspection: flag.default(true),
  })
  .strict();

const usage = `Usage: tsx src/simulator/main.ts [--seed N] [--suppliers N] [--host H] [--port P] [--admin-port P]
       [--import-delay-ms MS] [--processed-lines disappear|stay] [--burst on|off] [--concurrency on|off]
       [--credits-per-hour N] [--credits-refusal http200|http429] [--delta-retention-hours H] [--delta-lag-ms MS]
       [--introspection on|off]`;

async function main(): Promise<void> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      options: Object.fromEntries(
        Object.keys(optionsSchema.shape).map((name) => [name, { type: 'string' as const }]),
      ),
      strict: true,
    }).values;
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    process.exit(2);
  }
  const parsed = optionsSchema.safeParse(values);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      console.error(`Invalid option --${issue.path.join('.')}: ${issue.message}`);
    console.error(usage);
    process.exit(2);
  }
  const options = parsed.data;
  const simulator = await startSimulator({
    seed: options.seed,
    suppliers: options.suppliers,
    host: options.host,
    port: options.port,
    adminPort: options['admin-port'],
    importProcessingDelayMs: options['import-delay-ms'],
    deltaRetentionMs: options['delta-retention-hours'] * 3_600_000,
    deltaLagMs: options['delta-lag-ms'],
    processedLines: options['processed-lines'],
    introspection: options.introspection,
    limits: {
      burst: options.burst,
      concurrency: options.concurrency,
      creditsPerWindow: options['credits-per-hour'] ?? null,
      creditsRefusal: options['credits-refusal'],
    },
  });
  console.log(`Xledger simulator
  GraphQL: ${simulator.graphqlUrl}   (Authorization: token <TOKEN>)
  Admin:   ${simulator.adminUrl}/admin/health
  Entities: root ${SEED_ENTITIES.root}; owner1 ${SEED_ENTITIES.owner1} (clients ${SEED_ENTITIES.owner1Clients.join(', ')}); owner2 ${SEED_ENTITIES.owner2} (clients ${SEED_ENTITIES.owner2Clients.join(', ')})
  Demo tokens:`);
  for (const [name, token] of Object.entries(SEED_TOKENS)) console.log(`    ${name.padEnd(22)} ${token}`);

  const stop = (signal: string) => {
    logger.info({ signal }, 'stopping simulator');
    simulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
