import type { ResyncProgress, ResyncTicket } from '../client/resync';
import { progressLine, resyncResultText, runLine } from './state-format';

/**
 * `tenant resync --wait`: follows the runs of a resync until each has ended, printing a line
 * whenever one starts, makes progress (records so far per stream, from its heartbeat) or ends,
 * then the figures or the failures. Plain lines, no terminal control: logs and pipes read it too.
 */
export async function followResync(
  client: { resyncProgress(tenantId: string, requestId: string): Promise<ResyncProgress> },
  ticket: ResyncTicket,
  write: (text: string) => void,
  { intervalMs = 1_000 }: { intervalMs?: number } = {},
): Promise<ResyncProgress> {
  const printed = new Map<string, string>();
  // The runs the ticket already named were printed with it.
  for (const run of ticket.runs) printed.set(`${run.dataType}:run`, runLine(run));
  const say = (key: string, line: string) => {
    if (printed.get(key) === line) return;
    printed.set(key, line);
    write(`${line}\n`);
  };
  for (;;) {
    const progress = await client.resyncProgress(ticket.tenantId, ticket.requestId);
    for (const d of progress.dataTypes) {
      if (d.run) say(`${d.dataType}:run`, runLine(d.run));
      if (d.current) say(`${d.dataType}:${d.current.stream}`, progressLine(d.dataType, d.current));
      if (d.state !== 'waiting' && d.state !== 'running')
        say(`${d.dataType}:end`, `  ${d.dataType}: ${d.state}`);
    }
    if (progress.done) {
      write(resyncResultText(progress));
      return progress;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
