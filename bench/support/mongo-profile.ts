/**
 * What a worker spends waiting on MongoDB, by command and collection: the bench worker
 * (worker-process.ts) records every command's time when BENCH_MONGO_PROFILE names a file, and
 * writes the totals there when it exits; `npm run bench -- sync --profile` prints them beside
 * the CPU profile. A worker that is mostly idle in the CPU profile is waiting: this says on what.
 */
import { readFile, stat } from 'node:fs/promises';
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
  const write = () => writeFileSync(file, JSON.stringify(totals));
  process.once('exit', write);
  // commandsSoFar(): the totals now, while the worker runs on.
  process.on('SIGUSR2', write);
}

/**
 * How many MongoDB commands the worker `pid` has sent so far (it records them into `file`, see
 * recordMongoCommands): asks it to write its totals now and reads them. The difference across a
 * run is the run's store commands: a portable figure, the same on MongoDB as on FerretDB.
 */
export async function commandsSoFar(pid: number, file: string): Promise<number> {
  const writtenAt = async () => (await stat(file).catch(() => null))?.mtimeMs ?? 0;
  const before = await writtenAt();
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 10_000;
  while ((await writtenAt()) === before) {
    if (Date.now() > deadline) throw new Error(`the bench worker ${pid} did not write its command totals`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const totals = JSON.parse(await readFile(file, 'utf8')) as Record<string, Totals>;
  return Object.values(totals).reduce((sum, { count }) => sum + count, 0);
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
