import type { XledgerClient } from './client';
import type { GLImportLine } from '../invoices/invoice';

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

export async function findImportLines(
  client: XledgerClient,
  extIdentifiers: string[],
): Promise<ImportedLine[]> {
  const data = await client.request<{
    glImportItems: {
      edges: Array<{
        node: {
          dbId: number | string;
          extIdentifier: string | null;
          transaction: { dbId: number | string } | null;
        };
      }>;
    };
  }>(
    `query findImportLines($ids: [String!]) {
      glImportItems(first: 500, filter: { extIdentifier_in: $ids }) { edges { node { dbId extIdentifier transaction { dbId } } } }
    }`,
    { ids: extIdentifiers },
  );
  return data.glImportItems.edges.map(({ node }) => ({
    dbId: Number(node.dbId),
    extIdentifier: node.extIdentifier,
    transactionDbId: node.transaction ? Number(node.transaction.dbId) : null,
  }));
}

/** Sends one voucher's lines in one request (Xledger takes at most 500 per request). */
export async function addImportLines(client: XledgerClient, lines: GLImportLine[]): Promise<number[]> {
  const data = await client.request<{
    addGLImportItems: { edges: Array<{ clientId: string | null; node: { dbId: number | string } }> };
  }>(
    `mutation addImportLines($inputs: [GLImportItemsInput!]!) {
      addGLImportItems(inputs: $inputs) { edges { clientId node { dbId } } }
    }`,
    { inputs: lines },
  );
  return data.addGLImportItems.edges.map((edge) => Number(edge.node.dbId));
}

export async function importErrors(client: XledgerClient, lineDbIds: number[]): Promise<string[]> {
  const data = await client.request<{
    glImportItemErrors: { edges: Array<{ node: { message: string | null; errorLevel: string | null } }> };
  }>(
    `query importErrors($ids: [Int64String!]) {
      glImportItemErrors(first: 500, filter: { glImportItemDbId_in: $ids }) { edges { node { message errorLevel } } }
    }`,
    { ids: lineDbIds.map(String) },
  );
  return data.glImportItemErrors.edges.map(({ node }) => node.message ?? 'unknown import error');
}
