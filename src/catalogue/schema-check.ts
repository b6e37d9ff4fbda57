/**
 * The live schema check: does every document the client will send fit the schema Xledger
 * actually serves to this token? Xledger's introspection is enabled (H), so the token itself
 * can fetch the schema, and every operation of the catalogue (operations.ts) is validated
 * against it with graphql-js — the one check that settles each (A) and (M) of
 * ../shared/xledger-api.md for that tenant, before its first sync.
 *
 * With an owner id it also reads the entity tree (does the token see the owner?) and probes
 * each queried root field once, cheaply, to find the scopes the token lacks.
 *
 * Cost — Xledger charges per request (and per MB), so the check makes few:
 * - 1 request: the introspection query (without descriptions: roughly half the bytes);
 * - with an owner, 1 more: the entity tree and a `first: 1` read of every queried root field,
 *   together in one request. Only when Xledger refuses some of those fields does it ask again:
 *   without the refused ones when the refusal nulled the whole answer (graphql-js stops at the
 *   first failing non-null root field: one more request per missing scope), or one request per
 *   field when Xledger refused the probe as a whole without naming a field.
 * So 1 request without an owner, 2 with one when the token has every scope; plus at most one
 * retry of a request Xledger's rate limit refused. `usage` in the result counts them.
 */
import { buildClientSchema, parse, validate, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import { createHash } from 'node:crypto';
import type { EndpointPolicy } from '../security/endpoint-policy';
import { XledgerClient } from '../xledger/client';
import type { XledgerUsage } from '../xledger/usage';
import { entitiesOf, type EntitiesData, type XledgerEntity } from '../xledger/entities';
import type { OmittedField } from '../datatypes/optional-fields';
import { XledgerError } from '../xledger/errors';
import { checkOperation, type OperationCheck, type SchemaMismatch } from './check-operation';
import { omittedOptionalFields } from '../xledger/optional-fields';
import { schemaHasRateLimit } from '../xledger/rate-limit';
import { RequestGate } from '../xledger/request-gate';
import { mutatedSubscriptionFields } from '../xledger/webhooks';
import {
  type QueriedField,
  introspectionQuery,
  listOperations,
  queriedFields,
  scopeProbe,
} from './operations';

export type { OperationCheck, SchemaMismatch } from './check-operation';

export type SchemaVerdict =
  | { verified: true; types: number }
  /** Xledger refused introspection (or answered something unusable): nothing was validated. */
  | { verified: false; reason: string };

export interface MissingScope {
  /** As Xledger names it, else as the data type declares it; null when neither says. */
  scope: string | null;
  field: string;
  usedBy: string[];
  message: string;
}

export interface ScopeCheck {
  /** The root fields read without a refusal. */
  readable: string[];
  missing: MissingScope[];
  /** Fields not probed or refused for another reason (not in the live schema, an argument refused). */
  unprobed: Array<{ field: string; usedBy: string[]; reason: string }>;
}

export interface OwnerCheck {
  dbId: number;
  /** null when the entity tree could not be read (`error` says why). */
  visible: boolean | null;
  entity: { dbId: number; code: string | null; description: string | null } | null;
  /** Entities whose parent is the owner. */
  clientDbIds: number[];
  entitiesSeen: number;
  error: string | null;
}

export interface SchemaCheckResult {
  endpoint: string;
  schema: SchemaVerdict;
  /** Every operation of the catalogue; empty when the schema could not be verified. */
  operations: OperationCheck[];
  /** Only with an owner id. */
  owner: OwnerCheck | null;
  /** Only with an owner id. */
  scopes: ScopeCheck | null;
  /** Optional fields the schema lacks: left out of the tenant's queries, not a mismatch. */
  omittedFields: OmittedField[];
  /** The schema offers `rateLimit { remaining cost }`: the tenant's requests read it (rate-limit.ts). */
  rateLimit: boolean;
  /** The `<type>Mutated` fields of its Subscription type: what push can register (xledger/webhooks.ts). */
  subscriptions: string[];
  usage: XledgerUsage;
}

export interface SchemaCheckOptions {
  endpoint: string;
  token: string;
  ownerDbId?: number;
  requestTimeoutMs: number;
  /** Where the token may go (config.xledger.endpointPolicy). */
  endpointPolicy: EndpointPolicy;
}

/**
 * Kinds of error that mean "Xledger would not introspect" (or the answer was unusable): the
 * schema is then not verified, which is not a failure. A refused token, a limit or an
 * unreachable endpoint is a failure of the check itself and is thrown.
 */
const REFUSAL_KINDS: ReadonlySet<XledgerError['kind']> = new Set([
  'invalid_request',
  'missing_scope',
  'query_timeout',
]);

export async function checkLiveSchema(options: SchemaCheckOptions): Promise<SchemaCheckResult> {
  const client = new XledgerClient({
    endpoint: options.endpoint,
    token: options.token,
    endpointPolicy: options.endpointPolicy,
    requestTimeoutMs: options.requestTimeoutMs,
    // A few requests, one at a time, well inside Xledger's burst limit (20 per 5 s per token),
    // leaving room for a worker that shares the token.
    gate: new RequestGate({ maxRequestsPer5s: 10, maxConcurrentRequests: 1 }),
    maxRateLimitRetries: 1,
  });

  let schema: GraphQLSchema | null = null;
  let checked: CheckedSchema | undefined;
  let verdict: SchemaVerdict;
  let subscriptions: string[] = [];
  try {
    const introspection = introspectionQuery();
    const data = await client.request<IntrospectionQuery>(introspection.document, introspection.variables);
    checked = checkedSchema(data);
    schema = checked.schema;
    subscriptions = mutatedSubscriptionFields(data.__schema.subscriptionType, data.__schema.types);
    verdict = {
      verified: true,
      types: Object.keys(schema.getTypeMap()).filter((n) => !n.startsWith('__')).length,
    };
  } catch (error) {
    if (error instanceof XledgerError && !REFUSAL_KINDS.has(error.kind)) throw error;
    verdict = {
      verified: false,
      reason:
        error instanceof XledgerError
          ? `Xledger refused introspection: ${error.message}`
          : `Xledger's introspection answer is not a usable schema: ${(error as Error).message}`,
    };
  }

  const operations = checked ? [...checked.operations] : [];
  let owner: OwnerCheck | null = null;
  let scopes: ScopeCheck | null = null;
  if (options.ownerDbId !== undefined) {
    const probe = await probeFields(client, schema);
    scopes = probe.scopes;
    owner = ownerCheck(options.ownerDbId, probe.entities, probe.entitiesError);
  }
  return {
    endpoint: options.endpoint,
    schema: verdict,
    operations,
    owner,
    scopes,
    omittedFields: checked ? [...checked.omittedFields] : [],
    rateLimit: checked?.rateLimit ?? false,
    subscriptions,
    usage: { ...client.usage },
  };
}

/**
 * What a tenant's client adapts to in a live schema (an introspection answer): the optional
 * fields it lacks and whether it offers `rateLimit`. For the re-check a full pass makes
 * (src/activities/schema-recheck.ts); the same cached work as the whole check.
 */
export function schemaFindings(data: IntrospectionQuery): {
  omittedFields: OmittedField[];
  rateLimit: boolean;
} {
  const checked = checkedSchema(data);
  return { omittedFields: [...checked.omittedFields], rateLimit: checked.rateLimit };
}

/** A schema, the optional fields it lacks, and the catalogue's operations (without those) checked against it. */
interface CheckedSchema {
  schema: GraphQLSchema;
  omittedFields: OmittedField[];
  rateLimit: boolean;
  operations: OperationCheck[];
}

/**
 * The last schemas seen, by a digest of their introspection answer: onboarding a fleet checks
 * one Xledger schema again and again (the catalogue is fixed in a process), and building and
 * validating costs more than the request. A different answer is checked afresh.
 */
const checkedSchemas = new Map<string, CheckedSchema>();
const CHECKED_SCHEMAS_KEPT = 4;

function checkedSchema(data: IntrospectionQuery): CheckedSchema {
  const key = createHash('sha256').update(JSON.stringify(data)).digest('base64url');
  const known = checkedSchemas.get(key);
  if (known) return known;
  const schema = buildClientSchema(data);
  const omittedFields = omittedOptionalFields(schema);
  const catalogue = listOperations(omittedFields);
  const operations = catalogue.map((operation) => checkOperation(schema, operation));
  const checked = { schema, omittedFields, rateLimit: schemaHasRateLimit(schema), operations };
  checkedSchemas.set(key, checked);
  if (checkedSchemas.size > CHECKED_SCHEMAS_KEPT) checkedSchemas.delete(checkedSchemas.keys().next().value!);
  return checked;
}

// --- owner and scopes ------------------------------------------------------------------------

interface ProbeOutcome {
  scopes: ScopeCheck;
  entities: XledgerEntity[] | null;
  entitiesError: string | null;
}

/** Kinds of field refusal the probe reports (anything else is a failure of the check). */
const FIELD_REFUSALS: ReadonlySet<XledgerError['kind']> = new Set(['missing_scope', 'invalid_request']);

async function probeFields(client: XledgerClient, schema: GraphQLSchema | null): Promise<ProbeOutcome> {
  const fields = queriedFields();
  const byName = new Map(fields.map((entry) => [entry.field, entry]));
  const scopes: ScopeCheck = { readable: [], missing: [], unprobed: [] };
  let entities: XledgerEntity[] | null = null;
  let entitiesError: string | null = null;

  const refuse = (entry: QueriedField, error: XledgerError) => {
    if (error.kind === 'missing_scope') {
      scopes.missing.push({
        scope: error.details.scope ?? entry.scope,
        field: entry.field,
        usedBy: entry.usedBy,
        message: error.message,
      });
    } else {
      scopes.unprobed.push({ field: entry.field, usedBy: entry.usedBy, reason: error.message });
    }
    if (entry.field === 'entities') entitiesError = error.message;
  };
  const answered = (names: string[], data: Record<string, unknown>) => {
    for (const name of names) {
      if (!(name in data)) continue;
      scopes.readable.push(name);
      if (name === 'entities') entities = entitiesOf(data as unknown as EntitiesData);
    }
  };

  // With the live schema, a field that does not fit it is not asked (its operations say why).
  let remaining: string[] = [];
  for (const entry of fields) {
    const errors = schema ? validate(schema, parse(scopeProbe([entry.field]).document)) : [];
    if (errors.length === 0) remaining.push(entry.field);
    else {
      const reason = `not in the live schema: ${errors.map((error) => error.message).join('; ')}`;
      scopes.unprobed.push({ field: entry.field, usedBy: entry.usedBy, reason });
      if (entry.field === 'entities') entitiesError = reason;
    }
  }

  let oneByOne = false;
  while (remaining.length > 0 && !oneByOne) {
    const probe = scopeProbe(remaining);
    let answer;
    try {
      answer = await client.requestAllowingFieldErrors<Record<string, unknown>>(probe.document);
    } catch (error) {
      // Refused as a whole without naming a field: ask each field alone.
      if (error instanceof XledgerError && FIELD_REFUSALS.has(error.kind) && remaining.length > 1) {
        oneByOne = true;
        break;
      }
      if (error instanceof XledgerError && FIELD_REFUSALS.has(error.kind)) {
        refuse(byName.get(remaining[0]!)!, error);
        remaining = [];
        break;
      }
      throw error;
    }
    const refused = new Set<string>();
    for (const error of answer.fieldErrors) {
      const field = error.details.path?.[0];
      const entry = field === undefined ? undefined : byName.get(field);
      if (!entry || refused.has(entry.field)) continue;
      if (!FIELD_REFUSALS.has(error.kind)) throw error;
      refused.add(entry.field);
      refuse(entry, error);
    }
    remaining = remaining.filter((field) => !refused.has(field));
    if (answer.data) {
      answered(remaining, answer.data);
      remaining = [];
    } else if (refused.size === 0) {
      throw new XledgerError(
        'invalid_request',
        'Xledger answered the scope probe with neither data nor a field error',
      );
    }
    // No data: a refused non-null field took the answer with it; ask the others again.
  }
  if (oneByOne) {
    for (const field of remaining) {
      try {
        const data = await client.request<Record<string, unknown>>(scopeProbe([field]).document);
        answered([field], data);
      } catch (error) {
        if (!(error instanceof XledgerError) || !FIELD_REFUSALS.has(error.kind)) throw error;
        refuse(byName.get(field)!, error);
      }
    }
  }
  return { scopes, entities, entitiesError };
}

function ownerCheck(dbId: number, entities: XledgerEntity[] | null, error: string | null): OwnerCheck {
  if (!entities) {
    return {
      dbId,
      visible: null,
      entity: null,
      clientDbIds: [],
      entitiesSeen: 0,
      error: error ?? 'the entity tree was not read',
    };
  }
  const entity = entities.find((candidate) => candidate.dbId === dbId);
  return {
    dbId,
    visible: entity !== undefined,
    entity: entity ? { dbId: entity.dbId, code: entity.code, description: entity.description } : null,
    clientDbIds: entities.filter((candidate) => candidate.parentDbId === dbId).map((c) => c.dbId),
    entitiesSeen: entities.length,
    error: null,
  };
}

// --- the verdict -----------------------------------------------------------------------------

export interface SchemaCheckReport extends SchemaCheckResult {
  /** Whose needs decide the verdict: a tenant's enabled data types and `invoices`; null = everything. */
  neededBy: string[] | null;
  /** One line per problem that decides the verdict; empty when all is well. */
  problems: string[];
  ok: boolean;
}

export const isNeeded = (usedBy: string[], neededBy: string[] | null): boolean =>
  neededBy === null || usedBy.some((user) => neededBy.includes(user));

/**
 * What counts: operations that do not fit the live schema, scopes the token lacks, an owner the
 * token does not see — each only where something needed uses it (a tenant's enabled data types
 * and `invoices`; everything when neededBy is null). An unverified schema is not a problem.
 */
export function assessCheck(result: SchemaCheckResult, neededBy: string[] | null): SchemaCheckReport {
  const problems: string[] = [];
  for (const operation of result.operations) {
    if (operation.ok || !isNeeded(operation.usedBy, neededBy)) continue;
    problems.push(
      `operation ${operation.name} does not fit the schema: ${mismatchText(operation.mismatches)}`,
    );
  }
  if (result.owner && result.owner.visible !== true) {
    problems.push(
      result.owner.visible === false
        ? `the token cannot see entity ${result.owner.dbId} (it sees ${result.owner.entitiesSeen} entities)`
        : `could not read the entities to find entity ${result.owner.dbId}: ${result.owner.error}`,
    );
  }
  for (const missing of result.scopes?.missing ?? []) {
    if (!isNeeded(missing.usedBy, neededBy) || missing.field === 'entities') continue;
    problems.push(missingScopeText(missing));
  }
  return { ...result, neededBy, problems, ok: problems.length === 0 };
}

/** `the token lacks the scope SUPPLIER_READ for suppliers (suppliers)`: the field and what needs it. */
export function missingScopeText(missing: MissingScope): string {
  return `the token lacks the scope ${missing.scope ?? '(unnamed)'} for ${missing.field} (${missing.usedBy.join(', ')})`;
}

export function mismatchText(mismatches: SchemaMismatch[]): string {
  return mismatches.map((m) => (m.path ? `${m.path}: ${m.message}` : m.message)).join('; ');
}
