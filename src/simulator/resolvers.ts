/**
 * Loads the SDL (the one source of truth) and attaches scalars and resolvers to it. Every root
 * field checks its scope first; every list is filtered to the entities the token sees.
 */
import { readFileSync } from 'node:fs';
import {
  buildSchema,
  getNamedType,
  GraphQLError,
  GraphQLObjectType,
  GraphQLScalarType,
  isNonNullType,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';
import { ROOT_FIELD_SCOPES, type ApiToken } from './auth';
import { compileFilter, paginate, type Page, type PageArgs } from './connection';
import type { UploadedFile } from './uploads';
import type { SimWebhooks } from './webhooks';
import type { GlImport, ImportInput } from './gl-import';
import type { CreditFigures } from './limits';
import type { SimRecord } from './record-table';
import { invalidValue, scalars } from './scalars';
import { DERIVED_FIELDS } from './shapes';
import {
  isClosed,
  type DeltaEntry,
  type DeltaType,
  type OwnerSet,
  type RecordType,
  type SimulatorState,
} from './state';

export interface RequestContext {
  state: SimulatorState;
  glImport: GlImport;
  /** addWebhooks, removeWebhooks, webhook(dbId:) (webhooks.ts). */
  webhooks: SimWebhooks;
  token: ApiToken;
  /** A multipart request's file parts by name (uploads.ts); absent for a JSON request. */
  uploads?: ReadonlyMap<string, UploadedFile>;
  /** Oslo's date for this request: records closed before it are not OPEN. */
  today: string;
  /**
   * A `dropPage` fault (faults.ts): the record connection of this root field ('*': every one)
   * serves the page after the one asked for.
   */
  dropPageOf?: string;
  /** This request's cost and the credit pool left (the `rateLimit` field; limits.ts). */
  credits?: CreditFigures;
}

type Resolver = GraphQLFieldResolver<unknown, RequestContext, Record<string, unknown>>;

interface ListArgs extends PageArgs {
  filter?: Record<string, unknown> | null;
  ownerSet?: OwnerSet | null;
  objectStatus?: 'OPEN' | 'CLOSED' | 'ALL' | null;
}

const RECORD_FIELDS: Record<string, RecordType> = {
  suppliers: 'suppliers',
  accounts: 'accounts',
  objectKinds: 'objectKinds',
  objectValues: 'objectValues',
  taxTableSetups: 'taxTableSetups',
  currencies: 'currencies',
  exchangeRates: 'exchangeRates',
  employees: 'employees',
  projects: 'projects',
  assets: 'assets',
};

const DELTA_FIELDS: Record<string, DeltaType> = {
  supplier_deltas: 'suppliers',
  employee_deltas: 'employees',
  project_deltas: 'projects',
};

const byDbId = (record: { dbId: number }) => record.dbId;
const bySeq = (delta: DeltaEntry) => delta.seq;

function listRecords(name: string, type: RecordType, hasObjectStatus: boolean): Resolver {
  return (_source, rawArgs, context) => {
    const args = rawArgs as ListArgs;
    const table = context.state.tables[type];
    const visible = context.state.recordOwners(context.token, args.ownerSet ?? 'ALL');
    // Where the SDL offers objectStatus, Xledger's default is OPEN (M); elsewhere nothing is hidden.
    const status = hasObjectStatus ? (args.objectStatus ?? 'OPEN') : 'ALL';
    const filter = compileFilter(args.filter);
    const today = context.today;
    const keep = (record: SimRecord) =>
      !table.deleted.has(record.dbId) &&
      visible.has(record.ownerDbId) &&
      (status === 'ALL' || isClosed(type, record, today) === (status === 'CLOSED')) &&
      (filter === null || filter(record));
    const page = paginate(table.rows, byDbId, keep, args);
    const lastEdge = page.edges.at(-1);
    if (
      (context.dropPageOf === '*' || context.dropPageOf === name) &&
      page.pageInfo.hasNextPage &&
      lastEdge
    ) {
      return paginate(table.rows, byDbId, keep, { ...args, after: lastEdge.cursor, before: null });
    }
    return page;
  };
}

/**
 * (A) How Xledger refuses a delta cursor it no longer knows (older than the retention, or never
 * issued) is not published: the simulator answers Xledger's usual bad-value error, code
 * INVALID_VALUE, on the delta field, naming the cursor and the retention.
 */
export function deltaCursorRefused(field: string, cursor: string, retentionMs: number): GraphQLError {
  const hours = Math.round(retentionMs / 3_600_000);
  return invalidValue(
    `Argument "after" of ${field} is not a known cursor: ${JSON.stringify(cursor)} (deltas are kept for ${hours} hours)`,
  );
}

function listDeltas(field: string, type: DeltaType): Resolver {
  return (_source, rawArgs, context) => {
    // ownerSet where the SDL offers it (supplier_deltas, M: Skyvell), with the records' meanings.
    const args = rawArgs as PageArgs & { ownerSet?: OwnerSet | null };
    const visible = context.state.recordOwners(context.token, args.ownerSet ?? 'ALL');
    const log = context.state.retainedDeltas(type);
    if (
      args.after != null &&
      /^\d{1,16}$/.test(args.after) &&
      !context.state.knowsDeltaCursor(type, Number(args.after))
    ) {
      throw deltaCursorRefused(field, args.after, context.state.deltaRetentionMs);
    }
    // A delta shows only once the lag after its change has passed (state.deltaLagMs).
    return paginate(
      log,
      bySeq,
      (delta) => visible.has(delta.ownerDbId) && context.state.deltaVisible(delta),
      args,
    );
  };
}

/**
 * GL import lines, import errors and posted payables; `readable` hides what the processing
 * model hides. (An empty one answers `"edges": null` like every connection: emptyEdgesAsNull.)
 */
function listPosting(
  pick: (state: SimulatorState) => SimRecord[],
  readable: (context: RequestContext, record: SimRecord) => boolean = () => true,
): Resolver {
  return (_source, rawArgs, context) => {
    const args = rawArgs as ListArgs;
    const visible = context.state.visibleOwners(context.token, 'ALL');
    const filter = compileFilter(args.filter);
    const keep = (record: SimRecord) =>
      visible.has(record.ownerDbId) && readable(context, record) && (filter === null || filter(record));
    return paginate(pick(context.state), byDbId, keep, args);
  };
}

const listEntities: Resolver = (_source, rawArgs, context) => {
  const args = rawArgs as ListArgs;
  const visible = context.state.visibleOwners(context.token, 'ALL');
  const filter = compileFilter(args.filter);
  return paginate(
    context.state.entities,
    byDbId,
    (entity) => visible.has(entity.dbId) && (filter === null || filter(entity)),
    args,
  );
};

const addGLImportItems: Resolver = (_source, args, context) => {
  const created = context.glImport.add(context.token, args.inputs as ImportInput[], context.uploads);
  return { edges: created };
};

function rootResolver(name: string, fieldArgs: readonly string[]): Resolver | undefined {
  const recordType = RECORD_FIELDS[name];
  if (recordType) return listRecords(name, recordType, fieldArgs.includes('objectStatus'));
  const deltaType = DELTA_FIELDS[name];
  if (deltaType) return listDeltas(name, deltaType);
  switch (name) {
    case 'entities':
      return listEntities;
    case 'glImportItems':
      return listPosting(
        (state) => state.glImportItems.rows,
        (context, line) => context.glImport.readable(line),
      );
    case 'glImportItemErrors':
      return listPosting(
        (state) => state.glImportItemErrors.rows,
        (context, error) => context.glImport.visibleYet(error),
      );
    case 'apTransactions':
      return listPosting(
        (state) => state.apTransactions.rows,
        (context, payable) => context.glImport.visibleYet(payable),
      );
    case 'addGLImportItems':
      return addGLImportItems;
    case 'addWebhooks':
      return (_source, args, context) =>
        context.webhooks.add(context.token, args.inputs as Array<{ node: Record<string, unknown> }>);
    case 'removeWebhooks':
      return (_source, args, context) => context.webhooks.remove(context.token, args.dbIds as number[]);
    case 'webhook':
      return (_source, args, context) => context.webhooks.get(context.token, Number(args.dbId));
    case 'rateLimit':
      return (_source, _args, context) => context.credits ?? { cost: 0, remaining: null };
    default:
      return undefined;
  }
}

/** Refuses a root field whose scope the token lacks, naming both (A: Xledger's wording is unknown). */
function withScope(name: string, resolve: Resolver): Resolver {
  const scope = ROOT_FIELD_SCOPES[name];
  return (source, args, context, info) => {
    if (scope && !context.token.scopes.has(scope)) {
      throw new GraphQLError(`Missing scope ${scope} for field ${name}`, {
        extensions: { code: 'FORBIDDEN', scope },
      });
    }
    return resolve(source, args, context, info);
  };
}

/**
 * A connection with no match answers "edges": null (H: Xledger's help centre). The SDL says
 * which connections do: those whose `edges` is nullable. (Declaring a connection's edges
 * non-null keeps [] for it.)
 */
function emptyEdgesAsNull(resolve: Resolver): Resolver {
  return (source, args, context, info) => {
    const page = resolve(source, args, context, info) as Page<unknown>;
    return page.edges.length === 0 ? { ...page, edges: null } : page;
  };
}

function hasNullableEdges(type: unknown): boolean {
  const named = getNamedType(type as Parameters<typeof getNamedType>[0]);
  if (!(named instanceof GraphQLObjectType)) return false;
  const edges = named.getFields().edges;
  return edges !== undefined && !isNonNullType(edges.type);
}

export function loadSchemaText(): string {
  return readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');
}

export function buildSimulatorSchema(): GraphQLSchema {
  const schema = buildSchema(loadSchemaText());

  for (const [name, implementation] of Object.entries(scalars)) {
    const type = schema.getType(name);
    if (!(type instanceof GraphQLScalarType)) throw new Error(`The SDL lacks scalar ${name}`);
    type.serialize = implementation.serialize;
    type.parseValue = implementation.parseValue;
    type.parseLiteral = implementation.parseLiteral;
  }

  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    if (!root) continue;
    for (const [name, field] of Object.entries(root.getFields())) {
      const resolve = rootResolver(
        name,
        field.args.map((arg) => arg.name),
      );
      if (!resolve) throw new Error(`No resolver for root field ${root.name}.${name}`);
      field.resolve = withScope(name, hasNullableEdges(field.type) ? emptyEdgesAsNull(resolve) : resolve);
    }
  }

  // Nested references resolved from ids, so that a patched entity or line is always current.
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType) || type.name.startsWith('__')) continue;
    const fields = type.getFields();
    if (fields.owner) {
      fields.owner.resolve = (source, _args, context: RequestContext) =>
        context.state.entityRef((source as SimRecord).ownerDbId);
    }
  }
  // Fields Xledger serves in another shape than the simulator keeps (shapes.ts).
  for (const [typeName, derived] of Object.entries(DERIVED_FIELDS)) {
    const fields = (schema.getType(typeName) as GraphQLObjectType).getFields();
    for (const [fieldName, derive] of Object.entries(derived)) {
      const field = fields[fieldName];
      if (!field) throw new Error(`The SDL lacks ${typeName}.${fieldName}`);
      field.resolve = (source, _args, context: RequestContext) =>
        derive(source as SimRecord, context.state.names);
    }
  }
  const entityFields = (schema.getType('Entity') as GraphQLObjectType).getFields();
  (entityFields.parent as { resolve?: Resolver }).resolve = (source, _args, context) => {
    const parentDbId = (source as { parentDbId: number | null }).parentDbId;
    return parentDbId == null ? null : context.state.entityRef(parentDbId);
  };

  return schema;
}
