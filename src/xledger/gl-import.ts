import type { XledgerClient } from './client';
import type { GLImportLine } from '../invoices/invoice';
import type { Operation } from './operations';

/**
 * Posting through Xledger's GL import staging lines. (A) lines stay readable after processing:
 * `transaction` is set once posted; a failed line has entries in glImportItemErrors.
 * Xledger has no idempotency key, so callers look lines up by extIdentifier before creating.
 */
export interface ImportedLine {
  dbId: number;
  extIdentifier: string | null;
  transactionDbId: number | null;
}

interface ImportItemsData {
  glImportItems: {
    edges: Array<{
      node: {
        dbId: number | string;
        extIdentifier: string | null;
        transaction: { dbId: number | string } | null;
      };
    }>;
  };
}

const IMPORT_ITEMS_BY_EXT_ID = `glImportItems(first: 500, filter: { extIdentifier_in: $ids }) {
  edges { node { dbId extIdentifier transaction { dbId } } }
}`;

const FIND_IMPORT_LINES = `query findImportLines($ids: [String!]) { ${IMPORT_ITEMS_BY_EXT_ID} }`;

export async function findImportLines(
  client: XledgerClient,
  extIdentifiers: string[],
): Promise<ImportedLine[]> {
  const data = await client.request<ImportItemsData>(FIND_IMPORT_LINES, { ids: extIdentifiers });
  return importedLines(data);
}

const ADD_IMPORT_LINES = `mutation addImportLines($inputs: [GLImportItemsInput!]!) {
      addGLImportItems(inputs: $inputs) { edges { clientId node { dbId } } }
    }`;

/** Sends one voucher's lines in one request (Xledger takes at most 500 per request). */
export async function addImportLines(client: XledgerClient, lines: GLImportLine[]): Promise<number[]> {
  const data = await client.request<{
    addGLImportItems: { edges: Array<{ clientId: string | null; node: { dbId: number | string } }> };
  }>(ADD_IMPORT_LINES, { inputs: lines });
  return data.addGLImportItems.edges.map((edge) => Number(edge.node.dbId));
}

const FIND_IMPORT_OUTCOME = `query findImportOutcome($ids: [String!], $lineDbIds: [Int64String!]) {
      ${IMPORT_ITEMS_BY_EXT_ID}
      glImportItemErrors(first: 500, filter: { glImportItemDbId_in: $lineDbIds }) { edges { node { message errorLevel } } }
    }`;

/**
 * How Xledger's processing of lines stands — the lines (posted once they have a transaction)
 * and the import errors of the given line ids — in one request: every request costs.
 */
export async function findImportOutcome(
  client: XledgerClient,
  extIdentifiers: string[],
  lineDbIds: number[],
): Promise<{ lines: ImportedLine[]; errors: string[] }> {
  const data = await client.request<
    ImportItemsData & {
      glImportItemErrors: { edges: Array<{ node: { message: string | null; errorLevel: string | null } }> };
    }
  >(FIND_IMPORT_OUTCOME, { ids: extIdentifiers, lineDbIds: lineDbIds.map(String) });
  return {
    lines: importedLines(data),
    errors: data.glImportItemErrors.edges.map(({ node }) => node.message ?? 'unknown import error'),
  };
}

function importedLines(data: ImportItemsData): ImportedLine[] {
  return data.glImportItems.edges.map(({ node }) => ({
    dbId: Number(node.dbId),
    extIdentifier: node.extIdentifier,
    transactionDbId: node.transaction ? Number(node.transaction.dbId) : null,
  }));
}

/** The posting documents, with example variables, for the catalogue (src/xledger/operations.ts). */
export function postingOperations(): Operation[] {
  const ids = ['semine:tenant:INV-1:1'];
  return [
    { name: 'findImportLines', document: FIND_IMPORT_LINES, variables: { ids } },
    {
      name: 'addImportLines',
      document: ADD_IMPORT_LINES,
      variables: {
        inputs: [
          {
            clientId: '1',
            node: {
              postedDate: '2026-01-15',
              transactionSource: { code: 'AP' },
              account: { code: '2400' },
              amount: '-125.00',
              extIdentifier: ids[0],
            },
          },
        ],
      },
    },
    { name: 'findImportOutcome', document: FIND_IMPORT_OUTCOME, variables: { ids, lineDbIds: ['5001'] } },
  ];
}
