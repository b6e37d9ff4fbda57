/**
 * The admin API (JSON over node:http, on its own port so that it can never be confused with
 * Xledger's endpoint): ground truth, record changes, tokens, counters, limits, faults, GL
 * import inspection and closed periods. It is a test and development tool: no auth.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { Logger } from '../logger';
import {
  closedPeriodSchema,
  countersResetSchema,
  describeIssues,
  glImportModelSchema,
  deltaSettingsSchema,
  introspectionSchema,
  limitsSchema,
  RECORD_SCHEMAS,
  removeFieldSchema,
  tokenSchema,
  webhookDropSchema,
  webhookStateSchema,
} from './admin-schemas';
import { faultInputSchema, type Faults } from './faults';
import { linesOfOwner, type GlImport } from './gl-import';
import type { Limits, UsageCounters } from './limits';
import { SchemaVariantError, type ServedSchema } from './served-schema';
import { RECORD_TYPES, type RecordType, type SimulatorState } from './state';
import type { SimWebhooks } from './webhooks';

export interface AdminServerDeps {
  state: SimulatorState;
  glImport: GlImport;
  webhooks: SimWebhooks;
  limits: Limits;
  counters: UsageCounters;
  faults: Faults;
  log: Logger;
  served: ServedSchema;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Handler = (match: RegExpExecArray, body: unknown) => unknown;
interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
  status?: number;
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw new HttpError(400, describeIssues(result.error));
  return result.data;
}

function recordType(value: string | undefined): RecordType {
  if (!RECORD_TYPES.includes(value as RecordType)) {
    throw new HttpError(404, `Unknown record type "${value}"; one of ${RECORD_TYPES.join(', ')}`);
  }
  return value as RecordType;
}

function integer(value: string | undefined, name: string): number {
  if (!value || !/^\d+$/.test(value)) throw new HttpError(400, `${name} must be an integer`);
  return Number(value);
}

export function createAdminServer(deps: AdminServerDeps): http.Server {
  const { state, glImport, webhooks, limits, counters, faults, log, served } = deps;
  const requireWebhook = (found: boolean, dbId: string | undefined) => {
    if (!found) throw new HttpError(404, `No webhook ${dbId}`);
  };

  const requireEntity = (dbId: number, field = 'ownerDbId') => {
    if (!state.entity(dbId)) throw new HttpError(400, `${field}: no entity with dbId ${dbId}`);
  };
  const tokenView = (token: {
    name: string;
    secret: string;
    entityDbId: number;
    scopes: ReadonlySet<string>;
  }) => ({
    name: token.name,
    token: token.secret,
    entityDbId: token.entityDbId,
    scopes: [...token.scopes],
  });
  /** Object values carry their kind twice (objectKindDbId and objectKind { dbId name }); keep them in step. */
  const withDerivedFields = (type: RecordType, fields: Record<string, unknown>) => {
    if (type === 'objectValues' && typeof fields.objectKindDbId === 'number') {
      const kind = state.tables.objectKinds.get(fields.objectKindDbId);
      if (!kind)
        throw new HttpError(400, `objectKindDbId: no object kind with dbId ${fields.objectKindDbId}`);
      return { ...fields, objectKind: { dbId: kind.dbId, name: kind.name } };
    }
    return fields;
  };

  const routes: Route[] = [
    { method: 'GET', pattern: /^\/admin\/health$/, handler: () => ({ ok: true }) },
    {
      method: 'GET',
      pattern: /^\/admin\/entities$/,
      handler: () => ({
        entities: state.entities,
        owners: state.owners().map((owner) => ({ ...owner, clients: state.childrenOf(owner.dbId) })),
      }),
    },
    {
      method: 'GET',
      pattern: /^\/admin\/truth\/(\d+)\/(\w+)$/,
      handler: (match) => {
        const ownerDbId = integer(match[1], 'ownerDbId');
        requireEntity(ownerDbId);
        const type = recordType(match[2]);
        const records = state.truth(ownerDbId, type);
        return { ownerDbId, type, count: records.length, records };
      },
    },
    {
      method: 'GET',
      pattern: /^\/admin\/records\/(\w+)\/(\d+)$/,
      handler: (match) => {
        const record = state.tables[recordType(match[1])].get(integer(match[2], 'dbId'));
        if (!record) throw new HttpError(404, `No live record ${match[2]}`);
        return record;
      },
    },
    {
      method: 'POST',
      pattern: /^\/admin\/records\/(\w+)$/,
      status: 201,
      handler: (match, body) => {
        const type = recordType(match[1]);
        const fields = parseBody(RECORD_SCHEMAS[type] as z.ZodType<Record<string, unknown>>, body);
        requireEntity(fields.ownerDbId as number);
        return state.createRecord(type, withDerivedFields(type, fields) as { ownerDbId: number });
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/admin\/records\/(\w+)\/(\d+)$/,
      handler: (match, body) => {
        const type = recordType(match[1]);
        const patch = parseBody(RECORD_SCHEMAS[type].partial() as z.ZodType<Record<string, unknown>>, body);
        if (typeof patch.ownerDbId === 'number') requireEntity(patch.ownerDbId);
        const record = state.patchRecord(type, integer(match[2], 'dbId'), withDerivedFields(type, patch));
        if (!record) throw new HttpError(404, `No live ${type} record ${match[2]}`);
        return record;
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/admin\/records\/(\w+)\/(\d+)$/,
      handler: (match) => {
        const type = recordType(match[1]);
        const record = state.deleteRecord(type, integer(match[2], 'dbId'));
        if (!record) throw new HttpError(404, `No live ${type} record ${match[2]}`);
        return { deleted: record.dbId };
      },
    },
    { method: 'GET', pattern: /^\/admin\/tokens$/, handler: () => [...state.tokens.values()].map(tokenView) },
    {
      method: 'POST',
      pattern: /^\/admin\/tokens$/,
      status: 201,
      handler: (_match, body) => {
        const input = parseBody(tokenSchema, body);
        requireEntity(input.entityDbId, 'entityDbId');
        if (state.tokenByName(input.name))
          throw new HttpError(409, `name: a token named "${input.name}" exists`);
        if (input.token && state.tokens.has(input.token))
          throw new HttpError(409, 'token: this secret is in use');
        return tokenView(state.addToken({ ...input, secret: input.token }));
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/admin\/tokens\/([^/]+)$/,
      handler: (match) => {
        const name = decodeURIComponent(match[1] ?? '');
        if (!state.removeToken(name)) throw new HttpError(404, `No token named "${name}"`);
        return { deleted: name };
      },
    },
    { method: 'GET', pattern: /^\/admin\/counters$/, handler: () => counters.all() },
    {
      method: 'GET',
      pattern: /^\/admin\/counters\/([^/]+)$/,
      handler: (match) =>
        counters.get(decodeURIComponent(match[1] ?? '')) ?? {
          requests: 0,
          refused: 0,
          bytesIn: 0,
          bytesOut: 0,
          byField: {},
        },
    },
    {
      method: 'POST',
      pattern: /^\/admin\/counters\/reset$/,
      handler: (_match, body) => {
        const input = parseBody(countersResetSchema, body);
        counters.reset(input.token);
        return { reset: input.token ?? 'all' };
      },
    },
    { method: 'GET', pattern: /^\/admin\/limits$/, handler: () => limits.describe() },
    {
      method: 'PUT',
      pattern: /^\/admin\/limits$/,
      handler: (_match, body) => {
        limits.update(parseBody(limitsSchema, body));
        return limits.describe();
      },
    },
    { method: 'GET', pattern: /^\/admin\/faults$/, handler: () => faults.list() },
    {
      method: 'POST',
      pattern: /^\/admin\/faults$/,
      status: 201,
      handler: (_match, body) => faults.add(parseBody(faultInputSchema, body)),
    },
    {
      method: 'DELETE',
      pattern: /^\/admin\/faults$/,
      handler: () => {
        faults.clear();
        return { cleared: true };
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/admin\/faults\/(\d+)$/,
      handler: (match) => {
        if (!faults.remove(integer(match[1], 'id'))) throw new HttpError(404, `No fault ${match[1]}`);
        return { deleted: Number(match[1]) };
      },
    },
    {
      method: 'GET',
      pattern: /^\/admin\/gl-import\/(\d+)$/,
      handler: (match) => {
        const ownerDbId = integer(match[1], 'ownerDbId');
        requireEntity(ownerDbId);
        return linesOfOwner(state, glImport, ownerDbId);
      },
    },
    {
      method: 'GET',
      pattern: /^\/admin\/gl-import\/document\/(\d+)$/,
      handler: (match) => {
        const file = glImport.documents.get(integer(match[1], 'lineDbId'));
        if (!file) throw new HttpError(404, `No document attached to line ${match[1]}`);
        return {
          fileName: file.fileName,
          contentType: file.contentType,
          size: file.bytes.length,
          sha256: file.sha256,
          contentBase64: file.bytes.toString('base64'),
        };
      },
    },
    {
      method: 'GET',
      pattern: /^\/admin\/gl-import\/model$/,
      handler: () => ({ processedLines: glImport.processedLines, lookupLagMs: glImport.lookupLagMs }),
    },
    {
      method: 'PUT',
      pattern: /^\/admin\/gl-import\/model$/,
      handler: (_match, body) => {
        const model = parseBody(glImportModelSchema, body);
        if (model.processedLines) glImport.processedLines = model.processedLines;
        if (model.lookupLagMs !== undefined) glImport.lookupLagMs = model.lookupLagMs;
        return { processedLines: glImport.processedLines, lookupLagMs: glImport.lookupLagMs };
      },
    },
    {
      method: 'GET',
      pattern: /^\/admin\/deltas$/,
      handler: () => ({ lagMs: state.deltaLagMs, retentionMs: state.deltaRetentionMs }),
    },
    {
      method: 'PUT',
      pattern: /^\/admin\/deltas$/,
      handler: (_match, body) => {
        const settings = parseBody(deltaSettingsSchema, body);
        if (settings.lagMs !== undefined) state.deltaLagMs = settings.lagMs;
        if (settings.retentionMs !== undefined) state.deltaRetentionMs = settings.retentionMs;
        return { lagMs: state.deltaLagMs, retentionMs: state.deltaRetentionMs };
      },
    },
    {
      method: 'POST',
      pattern: /^\/admin\/gl-import\/process$/,
      handler: () => ({ processed: glImport.processAllPending() }),
    },
    { method: 'GET', pattern: /^\/admin\/schema$/, handler: () => served.describe() },
    {
      method: 'PUT',
      pattern: /^\/admin\/introspection$/,
      handler: (_match, body) => {
        served.introspection = parseBody(introspectionSchema, body).enabled;
        return served.describe();
      },
    },
    {
      method: 'PUT',
      pattern: /^\/admin\/schema\/remove-field$/,
      handler: (_match, body) => {
        try {
          served.removeField(parseBody(removeFieldSchema, body));
        } catch (error) {
          if (error instanceof SchemaVariantError) throw new HttpError(400, error.message);
          throw error;
        }
        return served.describe();
      },
    },
    {
      method: 'POST',
      pattern: /^\/admin\/schema\/reset$/,
      handler: () => {
        served.reset();
        return served.describe();
      },
    },
    // Xledger's webhooks (webhooks.ts): what is registered, its state, lost and replayed deliveries.
    { method: 'GET', pattern: /^\/admin\/webhooks$/, handler: () => ({ webhooks: webhooks.list() }) },
    {
      method: 'GET',
      pattern: /^\/admin\/webhooks\/deliveries$/,
      handler: () => ({ deliveries: webhooks.log }),
    },
    {
      method: 'PUT',
      pattern: /^\/admin\/webhooks\/(\d+)\/state$/,
      handler: (match, body) => {
        const { state: next } = parseBody(webhookStateSchema, body);
        requireWebhook(webhooks.setState(integer(match[1], 'dbId'), next), match[1]);
        return { dbId: Number(match[1]), state: next };
      },
    },
    {
      method: 'POST',
      pattern: /^\/admin\/webhooks\/(\d+)\/drop$/,
      handler: (match, body) => {
        const { count } = parseBody(webhookDropSchema, body);
        requireWebhook(webhooks.drop(integer(match[1], 'dbId'), count), match[1]);
        return { dbId: Number(match[1]), dropNext: count };
      },
    },
    {
      method: 'POST',
      pattern: /^\/admin\/webhooks\/(\d+)\/replay$/,
      handler: async (match) => {
        const status = await webhooks.replay(integer(match[1], 'dbId'));
        if (status === null) throw new HttpError(404, `No delivery of webhook ${match[1]} to replay`);
        return { dbId: Number(match[1]), status };
      },
    },
    {
      method: 'GET',
      pattern: /^\/admin\/closed-periods$/,
      handler: () => Object.fromEntries(state.closedPeriods),
    },
    {
      method: 'PUT',
      pattern: /^\/admin\/closed-periods\/(\d+)$/,
      handler: (match, body) => {
        const entityDbId = integer(match[1], 'entityDbId');
        requireEntity(entityDbId, 'entityDbId');
        const { closedTo } = parseBody(closedPeriodSchema, body);
        if (closedTo === null) state.closedPeriods.delete(entityDbId);
        else state.closedPeriods.set(entityDbId, closedTo);
        return { entityDbId, closedTo };
      },
    },
  ];

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let status: number;
    let result: unknown;
    try {
      const candidates = routes.filter((route) => route.pattern.test(path));
      if (candidates.length === 0) throw new HttpError(404, `No admin route ${path}`);
      const route = candidates.find((candidate) => candidate.method === request.method);
      if (!route) throw new HttpError(405, `${request.method} is not allowed on ${path}`);
      let body: unknown = undefined;
      if (raw.trim() !== '') {
        try {
          body = JSON.parse(raw);
        } catch {
          throw new HttpError(400, 'The body is not valid JSON');
        }
      }
      result = await route.handler(route.pattern.exec(path) as RegExpExecArray, body);
      status = route.status ?? 200;
    } catch (error) {
      if (!(error instanceof HttpError)) log.error({ err: error, path }, 'admin request failed');
      status = error instanceof HttpError ? error.status : 500;
      result = { error: error instanceof Error ? error.message : String(error) };
    }
    const payload = Buffer.from(JSON.stringify(result));
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': payload.length,
    });
    response.end(payload);
  }

  return http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log.error({ err: error }, 'admin request failed');
      if (!response.headersSent) {
        response.writeHead(500);
        response.end();
      }
    });
  });
}
