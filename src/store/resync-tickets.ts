import type { Db } from 'mongodb';
import { collections } from './collections';

/**
 * A resync asked for through the client API, and the run that serves it per data type, so the
 * caller can follow it (`forceResync` returns the runs, `resyncProgress` follows them).
 *
 * The client writes the ticket (`_id` = a request id it makes up) before it signals the tenant
 * workflow; the request id travels with the signal into the data type's pending sync request
 * (src/store/sync-requests.ts); the run that takes that request writes itself into the ticket
 * (a document of its own per data type, `<request id>:run:<dataType>`: the runs of several data
 * types take their requests at once, and on FerretDB two updates of different fields of one
 * document overwrite each other). Several requests merged into one pending request are all
 * served by the run that takes it: each ticket names that run.
 */

export interface TicketRun {
  workflowId: string;
  runId: string;
  takenAt: Date;
}

export interface ResyncTicketDocument {
  _id: string;
  tenantId: string;
  /** The enabled data types the request covers. */
  dataTypes: string[];
  full: boolean;
  requestedAt: Date;
  /** Per data type, the run that took the request (a later run replaces one that failed). */
  runs: Record<string, TicketRun>;
}

/** The run one data type's request was taken by: written by `_id`, one writer per data type at a time. */
interface TicketRunDocument {
  _id: string;
  tenantId: string;
  requestedAt: Date;
  run: TicketRun;
}

const tickets = (db: Db) => db.collection<ResyncTicketDocument>(collections.resyncTickets);
const ticketRuns = (db: Db) => db.collection<TicketRunDocument>(collections.resyncTickets);
const ticketRunId = (requestId: string, dataType: string) => `${requestId}:run:${dataType}`;

/** How long a ticket can be followed. */
const TICKET_KEPT_MS = 7 * 24 * 3_600_000;

export async function createTicket(db: Db, ticket: Omit<ResyncTicketDocument, 'runs'>): Promise<void> {
  await tickets(db).insertOne({ ...ticket, runs: {} });
  // The tenant's old tickets go (one small document per resync asked for through the API).
  await tickets(db).deleteMany({
    tenantId: ticket.tenantId,
    requestedAt: { $lt: new Date(ticket.requestedAt.getTime() - TICKET_KEPT_MS) },
  });
}

export async function loadTicket(db: Db, requestId: string): Promise<ResyncTicketDocument | null> {
  const ticket = await tickets(db).findOne({ _id: requestId });
  if (!ticket) return null;
  const runs: Record<string, TicketRun> = {};
  for (const dataType of ticket.dataTypes) {
    const taken = await ticketRuns(db).findOne({ _id: ticketRunId(requestId, dataType) });
    if (taken) runs[dataType] = taken.run;
  }
  return { ...ticket, runs };
}

/** The run `run` took the pending request that carries these request ids. */
export async function noteTicketRun(
  db: Db,
  requestIds: readonly string[],
  dataType: string,
  run: { workflowId: string; runId: string },
  now = new Date(),
): Promise<void> {
  for (const requestId of requestIds) {
    const ticket = await tickets(db).findOne(
      { _id: requestId },
      { projection: { tenantId: 1, requestedAt: 1 } },
    );
    if (!ticket) continue;
    await ticketRuns(db).replaceOne(
      { _id: ticketRunId(requestId, dataType) },
      {
        tenantId: ticket.tenantId,
        requestedAt: ticket.requestedAt,
        run: { workflowId: run.workflowId, runId: run.runId, takenAt: now },
      },
      { upsert: true },
    );
  }
}
