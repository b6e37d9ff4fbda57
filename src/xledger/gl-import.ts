import type { XledgerClient } from './client';
import type { UploadFile } from './file-upload';

/**
 * Posting through Xledger's GL import staging lines (xledger-api.md, "Posting supplier invoices"
 * and its corrections). Xledger has no idempotency key, so callers look a voucher up by its
 * lines' extIdentifiers before creating it — and must find it whether it is still a staging
 * line or already a posted payable: no public source says a processed line stays readable.
 *
 * Every document the client sends for posting is built here, once, and listed by
 * postingOperations() for validation against a schema. Documents declare only confirmed
 * variable types (Int, String, `[Int!]` for id lists — M, strong: Skyvell 50f807c; the real API
 * refused `[Int64String!]` — and the input type AddGLImportItemsInput, H) and write filters
 * inline with leaf variables, as Xledger's own sample does.
 */

/** At most this many records per look-up: a voucher has at most 500 lines (the mass-mutation limit). */
const LOOK_UP_SIZE = 500;

/** Staging lines by extIdentifier: unprocessed, failed, or processed where Xledger keeps them. */
const STAGED_LINES = `staged: glImportItems(first: $first, filter: { extIdentifier_in: $ids }) {
    edges { node { dbId extIdentifier } }
  }`;

/**
 * (A) How a processed import line becomes a posted transaction is not published. We take it
 * that the voucher's accounts-payable line (the one with the supplier as subledger) becomes one
 * `apTransactions` record that keeps the line's extIdentifier (apTransactions carries
 * extIdentifier, M), at the moment the line stops being an unprocessed staging line — and that
 * apTransactions can be filtered by `extIdentifier_in`. Change it here (and in postedVoucherOf)
 * when the real link is known.
 */
const POSTED_PAYABLES = `posted: apTransactions(first: $first, filter: { extIdentifier_in: $ids }) {
    edges { node { dbId extIdentifier transactionHeader { dbId transactionNumber } } }
  }`;

/**
 * (A) How an import error points back to its line is not published. glImportItemErrors shows a
 * `transactionDbId` (M); we take it to be the dbId of the staging line the error is about, and
 * filter on it by the `<field>_in` convention, an id list of `[Int!]` like every other. Change it
 * here when the real link is known.
 */
const ERRORS_OF_LINES = `errors: glImportItemErrors(first: $first, filter: { transactionDbId_in: $lineDbIds }) {
    edges { node { message errorLevel { dbId code name } transactionDbId } }
  }`;

const DOCUMENTS = {
  /** Stages one voucher's lines, all in one request (lines sharing a trRegNumber form one voucher). */
  addGLImportItems: `mutation addGLImportItems($inputs: [AddGLImportItemsInput!]!) {
  addGLImportItems(inputs: $inputs) { edges { clientId node { dbId } } }
}`,
  /**
   * The same create, sent as a multipart request carrying the invoice's document
   * (file-upload.ts), the payable line's `invoiceFile` naming it. Its own name, so that the
   * live schema check validates `invoiceFile` for the tenants that attach documents only.
   */
  addGLImportItemsWithFile: `mutation addGLImportItemsWithFile($inputs: [AddGLImportItemsInput!]!) {
  addGLImportItems(inputs: $inputs) { edges { clientId node { dbId } } }
}`,
  /** The look-up before any create: the voucher as staging lines or as a posted payable, in one request. */
  findEarlierPosting: `query findEarlierPosting($first: Int, $ids: [String!]) {
  ${STAGED_LINES}
  ${POSTED_PAYABLES}
}`,
  /** How Xledger's processing of a voucher ended: its posted payable, or its lines' import errors. */
  checkImportOutcome: `query checkImportOutcome($first: Int, $ids: [String!], $lineDbIds: [Int!]) {
  ${POSTED_PAYABLES}
  ${ERRORS_OF_LINES}
}`,
} as const;

/** Example variables of each posting document, for validating it against a schema. */
const EXAMPLE_IDS = ['semine:tenant:INV-1:1'];
const EXAMPLE_LINE = {
  postedDate: '2026-01-15',
  transactionSource: { code: 'AP' },
  jobLevel: { dbSubId: 1 },
  account: { code: '2400' },
  amount: '-125.00',
  invoiceAmount: '-125.00',
  extIdentifier: EXAMPLE_IDS[0],
};
const EXAMPLE_VARIABLES: Record<keyof typeof DOCUMENTS, Record<string, unknown>> = {
  addGLImportItems: { inputs: [{ clientId: '1', node: EXAMPLE_LINE }] },
  addGLImportItemsWithFile: {
    inputs: [{ clientId: '1', node: { ...EXAMPLE_LINE, invoiceFile: 'INV-1.pdf' } }],
  },
  findEarlierPosting: { first: LOOK_UP_SIZE, ids: EXAMPLE_IDS },
  checkImportOutcome: { first: LOOK_UP_SIZE, ids: EXAMPLE_IDS, lineDbIds: [5001] },
};

/**
 * Who needs the create with a file in the live schema check: only tenants whose
 * `posting.attachDocument` is on (client/xledger-check.ts, neededBy).
 */
export const ATTACH_DOCUMENT_USER = 'invoice documents';

/**
 * Every posting-related document the client can send, with example variables (for the operation
 * catalogue); `usedBy` where not every posting tenant needs it.
 */
export function postingOperations(): Array<{
  name: string;
  document: string;
  variables: Record<string, unknown>;
  usedBy?: string;
}> {
  return (Object.keys(DOCUMENTS) as Array<keyof typeof DOCUMENTS>).map((name) => ({
    name,
    document: DOCUMENTS[name],
    variables: EXAMPLE_VARIABLES[name],
    ...(name === 'addGLImportItemsWithFile' ? { usedBy: ATTACH_DOCUMENT_USER } : {}),
  }));
}

/**
 * One staging line as `addGLImportItems` takes it (an `AddGLImportItemsInput`): the client's
 * own id for the line, echoed back with its dbId, and the line's fields as Xledger names them.
 */
export interface GLImportLine {
  clientId: string;
  node: Record<string, unknown>;
}

type Id = number | string;
/** A connection as Xledger answers it: `"edges": null` when nothing matched (H). */
interface Connection<T> {
  edges: Array<{ node: T }> | null;
}
interface PayableNode {
  dbId: Id;
  extIdentifier: string | null;
  transactionHeader: { dbId: Id; transactionNumber: Id | null } | null;
}
interface ErrorNode {
  message: string | null;
  errorLevel: { dbId: Id | null; code: string | null; name: string | null } | null;
  transactionDbId: Id | null;
}

const nodes = <T>(connection: Connection<T> | null | undefined): T[] =>
  (connection?.edges ?? []).map((edge) => edge.node);

export interface StagedLine {
  dbId: number;
  extIdentifier: string | null;
}

/** The voucher as a posted transaction. */
export interface PostedVoucher {
  /** The payable (apTransactions) record. */
  apTransactionDbId: number;
  /** The transaction (voucher) header, when Xledger shows one. */
  transactionDbId: number | null;
  transactionNumber: number | null;
}

export interface ImportError {
  message: string;
  level: { dbId: number | null; code: string | null; name: string | null } | null;
  /** The staging line the error is about (A: see ERRORS_OF_LINES). */
  lineDbId: number | null;
}

/** (A) The payable of our voucher is the one carrying one of its lines' extIdentifiers (see POSTED_PAYABLES). */
function postedVoucherOf(payables: PayableNode[], extIdentifiers: readonly string[]): PostedVoucher | null {
  const ours = new Set(extIdentifiers);
  const payable = payables.find((node) => node.extIdentifier !== null && ours.has(node.extIdentifier));
  if (!payable) return null;
  const header = payable.transactionHeader;
  return {
    apTransactionDbId: Number(payable.dbId),
    transactionDbId: header ? Number(header.dbId) : null,
    transactionNumber: header?.transactionNumber != null ? Number(header.transactionNumber) : null,
  };
}

/**
 * Finds an earlier posting of a voucher by its lines' extIdentifiers, as staging lines or as the
 * posted payable, in one request (Xledger charges per request). The staging lines come first in
 * the document: a server that resolves fields in order can then not miss a line that is
 * processed between the two reads (it would be found as the payable).
 */
export async function findEarlierPosting(
  client: XledgerClient,
  extIdentifiers: string[],
): Promise<{ lines: StagedLine[]; posted: PostedVoucher | null }> {
  // Read-only: it may share a request with other vouchers' look-ups waiting for the token's budget.
  const data = await client.requestShared<{
    staged: Connection<{ dbId: Id; extIdentifier: string | null }> | null;
    posted: Connection<PayableNode> | null;
  }>(DOCUMENTS.findEarlierPosting, { first: LOOK_UP_SIZE, ids: extIdentifiers });
  return {
    lines: nodes(data.staged).map((node) => ({ dbId: Number(node.dbId), extIdentifier: node.extIdentifier })),
    posted: postedVoucherOf(nodes(data.posted), extIdentifiers),
  };
}

/**
 * Every copy of a voucher Xledger holds, by its lines' extIdentifiers (the look-up's document):
 * all staging lines and every posted payable carrying one of them. Asked once more after a
 * voucher is posted, so that a copy that landed late is found and reported, never hidden.
 */
export async function findVoucherCopies(
  client: XledgerClient,
  extIdentifiers: string[],
): Promise<{ lines: StagedLine[]; payables: Array<PostedVoucher & { extIdentifier: string | null }> }> {
  const data = await client.request<{
    staged: Connection<{ dbId: Id; extIdentifier: string | null }> | null;
    posted: Connection<PayableNode> | null;
  }>(DOCUMENTS.findEarlierPosting, { first: LOOK_UP_SIZE, ids: extIdentifiers });
  return {
    lines: nodes(data.staged).map((node) => ({ dbId: Number(node.dbId), extIdentifier: node.extIdentifier })),
    payables: nodes(data.posted).flatMap((node) => {
      const payable = postedVoucherOf([node], extIdentifiers);
      return payable ? [{ ...payable, extIdentifier: node.extIdentifier }] : [];
    }),
  };
}

/**
 * Sends one voucher's lines in one request (Xledger takes at most 500 per request). Returns their
 * dbIds in order. With `file` (the invoice's document, named by a line's `invoiceFile`), the same
 * document goes as a multipart request carrying the file (file-upload.ts). The request is sent
 * only if it can leave by `leavesBy` (departure.ts): a create must never reach Xledger later
 * than its settle window allows for.
 */
export async function addImportLines(
  client: XledgerClient,
  lines: GLImportLine[],
  file: UploadFile | undefined,
  leavesBy: Date,
): Promise<number[]> {
  type Answer = {
    addGLImportItems: { edges: Array<{ clientId: string | null; node: { dbId: Id } }> | null };
  };
  const variables = { inputs: lines };
  const data = file
    ? await client.requestWithFile<Answer>(DOCUMENTS.addGLImportItemsWithFile, variables, file, { leavesBy })
    : await client.request<Answer>(DOCUMENTS.addGLImportItems, variables, { leavesBy });
  const edges = data.addGLImportItems.edges ?? [];
  // Match by the echoed clientId where Xledger gives it back; else by position.
  const byClientId = new Map(edges.map((edge) => [edge.clientId, Number(edge.node.dbId)]));
  return lines.map((line, index) => byClientId.get(line.clientId) ?? Number(edges[index]?.node.dbId ?? -1));
}

/**
 * How Xledger's processing of a voucher stands — its posted payable, and the import errors of its
 * lines — in one request.
 */
export async function checkImportOutcome(
  client: XledgerClient,
  extIdentifiers: string[],
  lineDbIds: number[],
): Promise<{ posted: PostedVoucher | null; errors: ImportError[] }> {
  // Read-only: it may share a request with other vouchers' checks waiting for the token's budget.
  const data = await client.requestShared<{
    posted: Connection<PayableNode> | null;
    errors: Connection<ErrorNode> | null;
  }>(DOCUMENTS.checkImportOutcome, {
    first: LOOK_UP_SIZE,
    ids: extIdentifiers,
    lineDbIds: lineDbIds.filter((dbId) => dbId > 0),
  });
  return {
    posted: postedVoucherOf(nodes(data.posted), extIdentifiers),
    errors: nodes(data.errors).map((node) => ({
      message: node.message?.trim() || 'unknown import error',
      level: node.errorLevel
        ? {
            dbId: node.errorLevel.dbId != null ? Number(node.errorLevel.dbId) : null,
            code: node.errorLevel.code,
            name: node.errorLevel.name,
          }
        : null,
      lineDbId: node.transactionDbId != null ? Number(node.transactionDbId) : null,
    })),
  };
}

/**
 * (A) Which error levels stop a voucher is not published. We take every level to stop it except
 * one named like a warning or a piece of information.
 */
export function blocksPosting(error: ImportError): boolean {
  const level = `${error.level?.code ?? ''} ${error.level?.name ?? ''}`;
  return !/warn|info/i.test(level);
}

/** An import error as a rejection reason: its level (Xledger's `errorLevel`), then its message. */
export function importErrorReason(error: ImportError): string {
  const level = error.level?.name ?? error.level?.code;
  return level ? `${level}: ${error.message}` : error.message;
}
