/**
 * The builders of the GraphQL documents the client sends to Xledger: every request is built from
 * an operation made here (or in gl-import.ts), and src/catalogue/operations.ts lists them all
 * with example variables, so that each can be validated against a schema.
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
import type { DeltaField, StreamDefinition } from '../datatypes/stream';
import { writeFilter, type FilterValues } from './filter-fields';

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
export const ENTITY_TREE_FIELD =
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
