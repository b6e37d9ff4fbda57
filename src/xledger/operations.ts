/**
 * The one catalogue of the GraphQL documents the client sends to Xledger. Every request is
 * built from an operation made here, and `listOperations()` lists them all with example
 * variables, so that each can be validated against a schema (the simulator's in the tests; a
 * tenant's live schema, which its token can introspect, before the first sync).
 *
 * The rules the real API imposes (../shared/xledger-api.md, "Corrections and additions" and
 * "Round three"):
 * - variables are declared only with type names public sources confirm for the place they are
 *   used (filter-fields.ts); elsewhere the value is written inline as a literal, which needs no
 *   type name;
 * - id lists are `[Int!]` (Skyvell 50f807c: the real API refused `[Int64String!]`);
 * - enum arguments (ownerSet, objectStatus) and filter objects are written inline, with leaf
 *   variables, as Xledger's own sample does: `filter: { modifiedAt_gte: $since }`;
 * - readers treat `"edges": null` as an empty page (paginate.ts, deltas.ts, entities.ts).
 */
import { getIntrospectionQuery, Kind, OperationTypeNode, parse } from 'graphql';
import { adaptStream, type OmittedField } from '../datatypes/optional-fields';
import { dataTypes } from '../datatypes/registry';
import type { StreamDefinition } from '../datatypes/stream';
import type { DeltaField } from './deltas';
import { streamFilter, writeFilter, type FilterValues } from './filter-fields';
import { postingOperations } from './gl-import';
import { mergeQueries } from './merge-queries';

export interface Operation {
  /** The operation's name in its document; unique in the catalogue. */
  name: string;
  document: string;
  /**
   * The variables the operation was built with. In `listOperations()`: a complete example.
   */
  variables: Record<string, unknown>;
  /** Variables the caller sets on each request (paging), beside `variables`. */
  requestVariables?: string[];
}

/** The alias under which a delta query's answer comes back, as a companion or alone. */
export const DELTA_ALIAS = 'deltas';
/** Delta nodes are tiny: ask for Xledger's maximum per request. */
export const DELTA_PAGE_SIZE = 10_000;
const DELTA_SELECTION = 'edges { cursor node { dbId mutationType } } pageInfo { hasNextPage }';

/** Paging variables of every connection document, set per request. */
const PAGE_VARIABLES = ['$first: Int!', '$after: String'];
const PAGE_ARGUMENTS = ['first: $first', 'after: $after'];

/**
 * How a stream's first page carries its delta query: a full pass asks `last: 1` (the newest
 * cursor, without history); an incremental pass asks the deltas after its stored cursor.
 */
export type DeltaCompanion = { read: 'newest' } | { read: 'after'; after: string | null };

/** A relay connection read page by page: the first request may carry a companion field. */
export interface ConnectionRequest {
  rootField: string;
  /** The first request, with the companion when there is one. */
  first: Operation;
  /** Every later page. */
  next: Operation;
  /** Where the companion's answer is in the first page's data. */
  companionAlias?: string;
}

interface ConnectionShape {
  name: string;
  rootField: string;
  selection: string;
  /** Inline enum arguments, e.g. `ownerSet: ALL`. */
  inlineArguments: string[];
  filter: FilterValues;
  companion?: { field: DeltaField; read: DeltaCompanion['read'] };
}

function connectionOperation(shape: ConnectionShape): Operation {
  const filter = writeFilter(shape.rootField, shape.filter);
  const variableDefs = [...PAGE_VARIABLES, ...filter.variableDefinitions];
  const fieldArguments = [...PAGE_ARGUMENTS, ...shape.inlineArguments];
  if (filter.argument) fieldArguments.push(filter.argument);
  const variables: Record<string, unknown> = { ...filter.variables };
  let companion = '';
  if (shape.companion?.read === 'newest') {
    companion = `\n  ${DELTA_ALIAS}: ${shape.companion.field}(last: 1) { ${DELTA_SELECTION} }`;
  } else if (shape.companion?.read === 'after') {
    variableDefs.push('$deltaFirst: Int!', '$deltaAfter: String');
    companion = `\n  ${DELTA_ALIAS}: ${shape.companion.field}(first: $deltaFirst, after: $deltaAfter) { ${DELTA_SELECTION} }`;
  }
  return {
    name: shape.name,
    document: `query ${shape.name}(${variableDefs.join(', ')}) {
  ${shape.rootField}(${fieldArguments.join(', ')}) {
    edges { cursor node { ${shape.selection} } }
    pageInfo { hasNextPage }
  }${companion}
}`,
    variables,
    requestVariables: ['first', 'after'],
  };
}

function streamOperationName(stream: StreamDefinition, filter: FilterValues, companion?: DeltaCompanion) {
  const since = 'modifiedAt_gte' in filter ? 'Since' : '';
  const deltas = !companion ? '' : companion.read === 'newest' ? 'WithNewestDelta' : 'WithDeltas';
  return `${stream.name}Page${since}${deltas}`;
}

/**
 * The pages of one stream pass: `ownerSet: ALL` (read everything the token sees; ownership is
 * decided here), `objectStatus: ALL` where the query takes it (closed records are kept,
 * flagged, not deleted), and the filter. With a delta companion on the first request.
 */
export function streamPages(
  stream: StreamDefinition,
  filter: FilterValues,
  deltas?: DeltaCompanion,
): ConnectionRequest {
  const shape: ConnectionShape = {
    name: streamOperationName(stream, filter),
    rootField: stream.rootField,
    selection: stream.selection,
    inlineArguments: ['ownerSet: ALL', ...(stream.objectStatus ? ['objectStatus: ALL'] : [])],
    filter,
  };
  const next = connectionOperation(shape);
  if (!deltas || !stream.deltas) return { rootField: stream.rootField, first: next, next };
  const first = connectionOperation({
    ...shape,
    name: streamOperationName(stream, filter, deltas),
    companion: { field: stream.deltas, read: deltas.read },
  });
  if (deltas.read === 'after') {
    first.variables = { ...first.variables, deltaFirst: DELTA_PAGE_SIZE, deltaAfter: deltas.after };
  }
  return { rootField: stream.rootField, first, next, companionAlias: DELTA_ALIAS };
}

/** A delta query alone: the pages after the one that rode along with a stream's first page. */
export function deltasPage(field: DeltaField): Operation {
  return {
    name: `${field}Page`,
    document: `query ${field}Page($deltaFirst: Int!, $deltaAfter: String) { ${DELTA_ALIAS}: ${field}(first: $deltaFirst, after: $deltaAfter) { ${DELTA_SELECTION} } }`,
    variables: {},
    requestVariables: ['deltaFirst', 'deltaAfter'],
  };
}

/** At most this many ids per look-up by id: one request each (Xledger's maximum is 10,000 records). */
export const BY_IDS_BATCH = 1_000;

/**
 * A stream's records among `dbIds`, ids and owners only: what Xledger still returns, asked before any of them
 * is marked deleted (activities/confirm-deletions.ts). Read as the pass reads (`ownerSet: ALL`,
 * `objectStatus: ALL`: a closed record is not a deleted one), without the stream's other filters:
 * a record that left a look-up's filter still exists. The ids are written inline as Int literals:
 * the real API types the id list `[Int!]` (issue 23), the simulator `[Int64String!]`, and a
 * literal fits both, so no variable type has to be declared.
 */
/**
 * Whether the stream, as the tenant reads it (datatypes/optional-fields.ts leaves out the
 * optional fields its schema lacks), selects its records' `ownerDbId`.
 */
export function selectsOwner(stream: StreamDefinition): boolean {
  return stream.selection.split(/[\s{}]+/).includes('ownerDbId');
}

export function recordsByIds(stream: StreamDefinition, dbIds: readonly number[]): Operation {
  if (dbIds.length === 0 || dbIds.length > BY_IDS_BATCH) {
    throw new Error(`a look-up by id takes 1 to ${BY_IDS_BATCH} ids, not ${dbIds.length}`);
  }
  if (!dbIds.every((dbId) => Number.isSafeInteger(dbId) && dbId >= 0)) {
    throw new Error('a look-up by id takes non-negative integer ids only');
  }
  const inline = ['ownerSet: ALL', ...(stream.objectStatus ? ['objectStatus: ALL'] : [])];
  // The owner only where the tenant's stream reads it (an optional field its schema may lack).
  const node = selectsOwner(stream) ? 'dbId ownerDbId' : 'dbId';
  return {
    name: `${stream.name}ByIds`,
    document: `query ${stream.name}ByIds { ${stream.rootField}(first: ${dbIds.length}, ${inline.join(', ')}, filter: { dbId_in: [${dbIds.join(', ')}] }) { edges { node { ${node} } } pageInfo { hasNextPage } } }`,
    variables: {},
  };
}

/**
 * The entity tree (owner and clients), in one request: installations have far fewer than
 * Xledger's 10,000 records per request.
 */
const ENTITY_TREE_FIELD =
  'entities(first: 10000) { edges { node { dbId code description parent { dbId } } } }';

export function entityTree(): Operation {
  return {
    name: 'entityTree',
    document: `query entityTree { ${ENTITY_TREE_FIELD} }`,
    variables: {},
  };
}

/**
 * Object kinds by name, for look-ups such as the TAX_RULE kind's dbIds. All kinds are read
 * (they are few) and matched by name here: no source shows a filter on the kind's name.
 */
export function objectKindPages(): ConnectionRequest {
  const operation = connectionOperation({
    name: 'objectKindsLookup',
    rootField: 'objectKinds',
    selection: 'dbId name',
    inlineArguments: ['ownerSet: ALL'],
    filter: {},
  });
  return { rootField: 'objectKinds', first: operation, next: operation };
}

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
  for (const operation of listOperations()) {
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
