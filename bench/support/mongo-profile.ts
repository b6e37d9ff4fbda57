/**
 * What a worker spends waiting on MongoDB, by command and collection: the bench worker
 * (worker-process.ts) records every command's time when BENCH_MONGO_PROFILE names a file, and
 * writes the totals there when it exits; `npm run bench -- sync --profile` prints them beside
 * the CPU profile. A worker that is mostly idle in the CPU profile is waiting: this says on what.
 */
import { readFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import type { MongoClient } from 'mongodb';
import type { Row } from './report';

interface Totals {
  count: number;
  ms: number;
}

/** Records the client's commands (it must be made with `monitorCommands: true`); written at exit. */
export function recordMongoCommands(client: MongoClient, file: string): void {
  const started = new Map<number, { key: string; at: number }>();
  const totals: Record<string, Totals> = {};
  client.on('commandStarted', (event) => {
    const collection = event.command[event.commandName];
    const key = `${event.commandName} ${typeof collection === 'string' ? collection : ''}`.trim();
    started.set(event.requestId, { key, at: performance.now() });
  });
  const finished = (event: { requestId: number }) => {
    const start = started.get(event.requestId);
    if (!start) return;
    started.delete(event.requestId);
    const entry = (totals[start.key] ??= { count: 0, ms: 0 });
    entry.count += 1;
    entry.ms += performance.now() - start.at;
  };
  client.on('commandSucceeded', finished);
  client.on('commandFailed', finished);
  process.once('exit', () => writeFileSync(file, JSON.stringify(totals)));
}

/** The recorded totals, the slowest first. */
export async function summariseMongoCommands(file: string, top = 20): Promise<Row[]> {
  const totals = JSON.parse(await readFile(file, 'utf8')) as Record<string, Totals>;
  return Object.entries(totals)
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, top)
    .map(([command, { count, ms }]) => ({
      'command collection': command,
      count,
      'total ms': Math.round(ms),
      'mean ms': Number((ms / count).toFixed(1)),
    }));
}
