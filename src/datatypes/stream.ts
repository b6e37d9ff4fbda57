import type { z } from 'zod';
import type { XledgerClient } from '../xledger/client';

export type DocumentFields = Record<string, unknown>;

/**
 * One Xledger stream = one definition (Airbyte's model): the query, the zod schema of a node,
 * the mapping to the stored document, the primary key, the change cursor and how deletions
 * are found.
 */
export interface StreamDefinition<
  TNode extends { dbId: number; ownerDbId: number } = { dbId: number; ownerDbId: number },
> {
  /** Stable name, used in checkpoints, rejects and figures. */
  name: string;
  /** MongoDB collection of the stored documents. */
  collection: string;
  /** Xledger query field and its filter input type. */
  rootField: string;
  filterType: string;
  selection: string;
  node: z.ZodType<TNode>;
  toDocument(node: TNode): DocumentFields;
  /**
   * The field for incremental reads (`<field>_gte`), or null where Xledger has no such filter
   * and the stream is read whole each time.
   */
  changeCursor: 'modifiedAt' | null;
  /** Delta query that reports deletions, where Xledger has one. */
  deltas?: 'employee_deltas' | 'project_deltas';
  /** The query takes objectStatus: ask for ALL so closed records are kept (flagged), not "deleted". */
  objectStatus: boolean;
  /** The token scope this query needs (named in errors). */
  scope: string;
  /**
   * A filter that must be looked up in Xledger before reading (e.g. the TAX_RULE object
   * kind's id, which differs per installation). Cached between incremental passes.
   */
  lookupFilter?: (client: XledgerClient) => Promise<Record<string, unknown>>;
}

/** Widens a typed stream for the registry without losing the node/document pairing at definition. */
export function defineStream<TNode extends { dbId: number; ownerDbId: number }>(
  definition: StreamDefinition<TNode>,
): StreamDefinition {
  return definition as unknown as StreamDefinition;
}
