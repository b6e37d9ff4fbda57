import type { z } from 'zod';
import type { DocumentFields } from '../domain/records';

/** Xledger's delta queries (xledger/deltas.ts): where a stream's deletions show. */
export type DeltaField = 'supplier_deltas' | 'employee_deltas' | 'project_deltas';

/**
 * A filter value found in Xledger before a stream is read: the dbIds of the object kinds with a
 * given name go into `objectKindDbId_in` (e.g. the TAX_RULE kind, whose dbId differs per
 * installation). Cached in the checkpoint between incremental passes.
 */
export interface StreamLookup {
  filterField: 'objectKindDbId_in';
  objectKindName: string;
}

/**
 * One Xledger stream = one definition (Airbyte's model): the query, the zod schema of a node,
 * the mapping to the stored document, the primary key, the change cursor and how deletions
 * are found. The GraphQL documents themselves come from src/xledger/operations.ts.
 */
export interface StreamDefinition<
  TNode extends { dbId: number; ownerDbId: number } = { dbId: number; ownerDbId: number },
> {
  /** Stable name, used in checkpoints, rejects, figures and operation names. */
  name: string;
  /** MongoDB collection of the stored documents. */
  collection: string;
  /** Xledger query field. */
  rootField: string;
  /** Selection of one node: its required fields and its optional ones (optional-fields.ts). */
  selection: string;
  /** `selection` without the optional fields; absent when the stream has none. */
  requiredSelection?: string;
  /** Optional fields (name → selection), part of `selection`; a tenant's schema may lack them. */
  optionalFields?: Readonly<Record<string, string>>;
  node: z.ZodType<TNode>;
  toDocument(node: TNode): DocumentFields;
  /**
   * The field for incremental reads (`<field>_gte`), or null where Xledger has no such filter
   * and the stream is read whole each time.
   */
  changeCursor: 'modifiedAt' | null;
  /** Delta query that reports deletions, where Xledger has one. */
  deltas?: DeltaField;
  /** The query takes objectStatus: ask for ALL so closed records are kept (flagged), not "deleted". */
  objectStatus: boolean;
  /** The token scope this query needs (named in errors). */
  scope: string;
  /** A filter looked up in Xledger before reading (refreshed on full passes). */
  lookup?: StreamLookup;
}

/**
 * A stream as the registry holds it, remembering for the types only its name and the fields
 * its toDocument maps a node to: the change feed's record types are derived from them
 * (datatypes/records.ts), so the public types follow the zod node schemas.
 */
export type TypedStream<TName extends string = string, TFields = DocumentFields> = StreamDefinition & {
  readonly name: TName;
  /** Never set: carries the document's type. */
  readonly fieldsType?: TFields;
};

/** Widens a typed stream for the registry without losing the node/document pairing at definition. */
export function defineStream<
  const TName extends string,
  TNode extends { dbId: number; ownerDbId: number },
  TFields extends DocumentFields,
>(
  definition: StreamDefinition<TNode> & { name: TName; toDocument(node: TNode): TFields },
): TypedStream<TName, TFields> {
  return definition as unknown as TypedStream<TName, TFields>;
}
