import { getIntrospectionQuery, Kind, OperationTypeNode, parse } from 'graphql';
import { adaptStream, type OmittedField } from '../datatypes/optional-fields';
import { dataTypes } from '../datatypes/registry';
import type { StreamDefinition } from '../datatypes/stream';
import { streamFilter, type FilterValues } from '../xledger/filter-fields';
import { postingOperations } from '../xledger/gl-import';
import { mergeQueries } from '../xledger/merge-queries';
import { PUSH_USER, webhookOperations } from '../xledger/webhooks';
import {
  DELTA_PAGE_SIZE,
  ENTITY_TREE_FIELD,
  deltasPage,
  entityTree,
  objectKindPages,
  recordsByIds,
  streamPages,
  type DeltaCompanion,
  type Operation,
} from '../xledger/operations';
/**
 * The catalogue of every GraphQL document the client sends to Xledger: `listOperations()` lists
 * them all, built by xledger/operations.ts' builders, with example variables, so that each can
 * be validated against a schema (the simulator's in the tests; a tenant's live schema, which its
 * token can introspect, before the first sync: schema-check.ts).
 */
/** The first request of each stream of a data type, as one: what a run of the data type sends first. */
function firstPagesOfDataType(streams: readonly StreamDefinition[], incremental: boolean): Operation | null {
  if (streams.length < 2) return null;
  const parts = streams.map((stream) => {
    const lookup: FilterValues = stream.lookup
      ? { [stream.lookup.filterField]: EXAMPLE.objectKindDbIds }
      : {};
    const filter = streamFilter(stream, lookup, incremental && stream.changeCursor ? EXAMPLE.since : null);
    const companion: DeltaCompanion | undefined = !stream.deltas
      ? undefined
      : incremental
        ? { read: 'after', after: EXAMPLE.deltaAfter }
        : { read: 'newest' };
    return withExamples(streamPages(stream, filter, companion).first);
  });
  const merged = mergeQueries(parts);
  return { name: merged.name, document: merged.document, variables: merged.variables };
}

/** A look-up and an outcome check of posting, merged as requestShared sends them. */
function sharedPostingReads(): Operation {
  const reads = postingOperations().filter((operation) =>
    ['findEarlierPosting', 'checkImportOutcome'].includes(operation.name),
  );
  const merged = mergeQueries(reads);
  return { name: merged.name, document: merged.document, variables: merged.variables };
}

// --- the whole catalogue -------------------------------------------------------------------

const EXAMPLE = {
  since: '2026-01-15T08:00:00',
  objectKindDbIds: [1001],
  deltaAfter: '1234',
  dbIds: [1001, 1002],
};
/** Example values of the variables callers set per request. */
const REQUEST_EXAMPLE: Record<string, unknown> = {
  first: 10_000,
  after: null,
  deltaFirst: DELTA_PAGE_SIZE,
  deltaAfter: EXAMPLE.deltaAfter,
};

/** The operation's variables with its per-request ones filled in: what one request sends. */
function withExamples(operation: Operation): Operation {
  const perRequest = Object.fromEntries(
    (operation.requestVariables ?? []).map((name) => [name, REQUEST_EXAMPLE[name]]),
  );
  return { ...operation, variables: { ...perRequest, ...operation.variables } };
}

/** Every shape a stream's pages can take: full and incremental, with and without deltas. */
function streamVariants(stream: StreamDefinition): Operation[] {
  const lookup: FilterValues = stream.lookup ? { [stream.lookup.filterField]: EXAMPLE.objectKindDbIds } : {};
  const filters = [streamFilter(stream, lookup, null)];
  if (stream.changeCursor) filters.push(streamFilter(stream, lookup, EXAMPLE.since));
  const operations: Operation[] = [];
  for (const filter of filters) {
    const incremental = 'modifiedAt_gte' in filter;
    operations.push(streamPages(stream, filter).next);
    if (stream.deltas) {
      const companion: DeltaCompanion = incremental
        ? { read: 'after', after: EXAMPLE.deltaAfter }
        : { read: 'newest' };
      operations.push(streamPages(stream, filter, companion).first);
    }
  }
  return operations;
}

/** An operation of the catalogue, with what needs it. */
export interface CatalogueOperation extends Operation {
  /**
   * The data types whose syncs send it, and `invoices` for the posting documents: a tenant needs
   * the operations used by its enabled data types and by `invoices` (every tenant posts).
   */
  usedBy: string[];
}

/** What posting needs, in `usedBy`: the tenant's `invoices` schedule. */
export const POSTING_USER = 'invoices';

/**
 * Every document the client can send while syncing and posting, with example variables and
 * what needs each: each stream's pages (with and without their change filter and delta
 * companion), the delta queries alone, each stream's look-up by id, the entity tree, the look-ups, and the posting
 * operations. (The live schema check's own two documents are built here too:
 * introspectionQuery() and scopeProbe().) Without the optional fields in `omitted`: as a tenant
 * whose schema lacks them sends them.
 */
export function listOperations(omitted: readonly OmittedField[] = []): CatalogueOperation[] {
  // A tenant's schema may lack optional fields: its streams then leave them out (optional-fields.ts).
  const streamsOf = (type: (typeof dataTypes)[number]) =>
    type.streams.map((stream) => adaptStream(stream, omitted));
  const users = (pick: (stream: StreamDefinition) => boolean) =>
    dataTypes.filter((type) => type.streams.some(pick)).map((type) => type.name);
  const deltaFields = [
    ...new Set(dataTypes.flatMap((type) => type.streams.flatMap((s) => (s.deltas ? [s.deltas] : [])))),
  ];
  const operations: CatalogueOperation[] = [
    ...dataTypes.flatMap((type) =>
      streamsOf(type)
        .flatMap(streamVariants)
        .map((operation) => ({ ...operation, usedBy: [type.name] })),
    ),
    ...deltaFields.map((field) => ({
      ...deltasPage(field),
      usedBy: users((stream) => stream.deltas === field),
    })),
    // A run's streams send their first pages in one request (xledger/request-batch.ts).
    ...dataTypes.flatMap((type) =>
      [false, true].flatMap((incremental) => {
        const merged = firstPagesOfDataType(streamsOf(type), incremental);
        return merged ? [{ ...merged, usedBy: [type.name] }] : [];
      }),
    ),
    // Before any record is marked deleted, it is looked up by id (activities/confirm-deletions.ts).
    ...dataTypes.flatMap((type) =>
      streamsOf(type).map((stream) => ({ ...recordsByIds(stream, EXAMPLE.dbIds), usedBy: [type.name] })),
    ),
    // Every sync decides ownership from the entity tree.
    { ...entityTree(), usedBy: dataTypes.map((type) => type.name) },
    { ...objectKindPages().first, usedBy: users((stream) => stream.lookup !== undefined) },
    // EXTENSION POINT — posting: the documents of src/xledger/gl-import.ts (addGLImportItems,
    // the look-ups before a create, the outcome check) join the catalogue through the list that
    // module exports. A new posting document is added there, never built elsewhere.
    ...postingOperations().map(({ usedBy, ...operation }) => ({
      ...operation,
      usedBy: [usedBy ?? POSTING_USER],
    })),
    // Posting's read-only look-ups and checks of several vouchers may share one request
    // (XledgerClient.requestShared): one example of such a request.
    { ...sharedPostingReads(), usedBy: [POSTING_USER] },
    // Push from Xledger (tenants with `push: true`): register, remove and watch its webhooks.
    ...webhookOperations().map((operation) => ({ ...operation, usedBy: [PUSH_USER] })),
  ];
  return operations.map((operation) => ({ ...operation, ...withExamples(operation) }));
}

// --- the live schema check's own documents ---------------------------------------------------

/**
 * graphql-js's standard introspection query, without descriptions: the check needs types,
 * fields and arguments only, and Xledger charges per MB received as well as per request.
 */
export function introspectionQuery(): Operation {
  return {
    name: 'IntrospectionQuery',
    document: getIntrospectionQuery({ descriptions: false }),
    variables: {},
  };
}

/** A query field the catalogue reads, with what needs it and the scope its stream names. */
export interface QueriedField {
  field: string;
  usedBy: string[];
  /** The scope the data type declares for it (an error from Xledger may name its own). */
  scope: string | null;
}

/** Every root field the catalogue's queries read (mutations are never probed: they would write). */
export function queriedFields(): QueriedField[] {
  const byField = new Map<string, QueriedField>();
  const scopes = new Map<string, string>();
  for (const stream of dataTypes.flatMap((type) => type.streams)) {
    scopes.set(stream.rootField, stream.scope);
    if (stream.deltas) scopes.set(stream.deltas, stream.scope);
  }
  // The webhooks' state query reads no connection: it has no place in the scope probe.
  for (const operation of listOperations().filter((op) => !op.usedBy.includes(PUSH_USER))) {
    for (const definition of parse(operation.document).definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      if (definition.operation !== OperationTypeNode.QUERY) continue;
      for (const selection of definition.selectionSet.selections) {
        if (selection.kind !== Kind.FIELD) continue;
        const field = selection.name.value;
        const entry = byField.get(field) ?? { field, usedBy: [], scope: scopes.get(field) ?? null };
        entry.usedBy = [...new Set([...entry.usedBy, ...operation.usedBy])];
        byField.set(field, entry);
      }
    }
  }
  return [...byField.values()];
}

/**
 * One request that reads each given root field cheaply (`first: 1`, ids only), to learn which
 * scopes the token lacks; `entities` is read whole, as entityTree reads it, to learn whether the
 * token sees the tenant's owner. Each field is asked once, under its own name.
 */
export function scopeProbe(fields: readonly string[]): Operation {
  const selections = fields.map((field) =>
    field === 'entities' ? ENTITY_TREE_FIELD : `${field}(first: 1) { edges { node { dbId } } }`,
  );
  return {
    name: 'scopeProbe',
    document: `query scopeProbe {\n  ${selections.join('\n  ')}\n}`,
    variables: {},
  };
}
