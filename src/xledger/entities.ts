import type { XledgerClient } from './client';
import { entityTree } from './operations';

export interface XledgerEntity {
  dbId: number;
  code: string | null;
  description: string | null;
  parentDbId: number | null;
}

/** The answer to the entity tree's field (in entityTree, or beside other fields in one request). */
export interface EntitiesData {
  entities: {
    /** null: Xledger's empty answer. */
    edges: Array<{
      node: {
        dbId: number | string;
        code: string | null;
        description: string | null;
        parent: { dbId: number | string } | null;
      };
    }> | null;
  } | null;
}

/** The entities the token sees, with their parents (the owner/client tree). */
export async function readEntityTree(client: XledgerClient): Promise<XledgerEntity[]> {
  const operation = entityTree();
  const data = await client.request<EntitiesData>(operation.document, operation.variables);
  return entitiesOf(data);
}

export function entitiesOf(data: EntitiesData): XledgerEntity[] {
  return (data.entities?.edges ?? []).map(({ node }) => ({
    dbId: Number(node.dbId),
    code: node.code,
    description: node.description,
    parentDbId: node.parent ? Number(node.parent.dbId) : null,
  }));
}
