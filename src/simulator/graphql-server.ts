/**
 * The GraphQL endpoint over node:http, in the order a request meets Xledger: authentication,
 * limits, parsing/validation, injected faults, execution. Errors are Xledger-shaped: an
 * `errors[]` entry with a top-level `code` (and the same in extensions.code), HTTP 200 except
 * for malformed requests (400). A refused token is the real API's code-less message, HTTP 200
 * (auth.ts, TOKEN_REFUSED_MESSAGE).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import {
  execute,
  GraphQLError,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import type { Logger } from '../logger';
import { readAuthorization, TOKEN_REFUSED_MESSAGE, type ApiToken } from './auth';
import { cetToday } from './clock';
import {
  corruptRecords,
  TIMEOUT_CODE,
  TIMEOUT_MESSAGE,
  TRUNCATION_KINDS,
  truncateConnections,
  type FaultRule,
  type Faults,
} from './faults';
import type { GlImport } from './gl-import';
import {
  creditsRefusal,
  LIMIT_CODES,
  LIMIT_MESSAGES,
  UNAUTHENTICATED,
  type Limits,
  type UsageCounters,
} from './limits';
import type { RequestContext } from './resolvers';
import type { ServedSchema } from './served-schema';
import type { SimulatorState } from './state';
import { readPayload } from './uploads';
import type { SimWebhooks } from './webhooks';

export const GRAPHQL_PATH = '/graphql';
const MAX_BODY_BYTES = 20 * 1024 * 1024;

export interface GraphqlServerDeps {
  /** The schema served now (a variant, introspection on or off: served-schema.ts). */
  served: ServedSchema;
  state: SimulatorState;
  glImport: GlImport;
  webhooks: SimWebhooks;
  limits: Limits;
  counters: UsageCounters;
  faults: Faults;
  log: Logger;
}

interface XledgerError {
  message: string;
  code: string;
  locations?: unknown;
  path?: unknown;
  extensions: Record<string, unknown>;
}

export function xledgerError(
  message: string,
  code: string,
  extensions: Record<string, unknown> = {},
): XledgerError {
  return { message, code, extensions: { ...extensions, code } };
}

/** A graphql-js error in Xledger's shape, keeping the code a scalar or resolver attached. */
function fromGraphQLError(error: GraphQLError, fallbackCode: string): XledgerError {
  const original = error.originalError as (Error & { extensions?: Record<string, unknown> }) | undefined;
  const code = String(error.extensions.code ?? original?.extensions?.code ?? fallbackCode);
  const json = error.toJSON();
  return {
    message: error.message,
    code,
    ...(json.locations ? { locations: json.locations } : {}),
    ...(json.path ? { path: json.path } : {}),
    extensions: { ...original?.extensions, ...error.extensions, code },
  };
}

interface PreparedDocument {
  document: DocumentNode | null;
  errors: XledgerError[];
  /** 400 for a query that cannot run at all. */
  status: number;
}

/** Parsing and validating is the costly part of a small request: cache by query text. */
class DocumentCache {
  private readonly cache = new Map<string, PreparedDocument>();
  constructor(private readonly schema: GraphQLSchema) {}

  get(query: string): PreparedDocument {
    let prepared = this.cache.get(query);
    if (!prepared) {
      prepared = this.prepare(query);
      if (this.cache.size >= 500) this.cache.clear();
      this.cache.set(query, prepared);
    }
    return prepared;
  }

  private prepare(query: string): PreparedDocument {
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      const parseError = error instanceof GraphQLError ? error : new GraphQLError(String(error));
      return { document: null, errors: [fromGraphQLError(parseError, 'GRAPHQL_PARSE_FAILED')], status: 400 };
    }
    const errors = validate(this.schema, document).map((error) =>
      fromGraphQLError(error, 'GRAPHQL_VALIDATION_FAILED'),
    );
    return errors.length > 0
      ? { document: null, errors, status: 400 }
      : { document, errors: [], status: 200 };
  }
}

/** The root field names a request asks for (for counters and fault matching); best effort. */
function rootFields(query: string, operationName: string | undefined): string[] {
  try {
    const document = parse(query);
    const fields: string[] = [];
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      if (operationName && definition.name?.value !== operationName) continue;
      for (const selection of definition.selectionSet.selections) {
        if (selection.kind === Kind.FIELD) fields.push(selection.name.value);
      }
    }
    return [...new Set(fields)];
  } catch {
    return [];
  }
}

/** The response keys (aliases, or field names) of the root fields named `field` (all for null). */
function responseKeysOf(
  document: DocumentNode,
  operationName: string | undefined,
  field: string | null,
): string[] {
  const keys: string[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    if (operationName && definition.name?.value !== operationName) continue;
    for (const selection of definition.selectionSet.selections) {
      if (selection.kind !== Kind.FIELD) continue;
      if (field === null || selection.name.value === field)
        keys.push(selection.alias?.value ?? selection.name.value);
    }
  }
  return keys;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('Request body too large'));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export function createGraphqlServer(deps: GraphqlServerDeps): http.Server {
  const { served, state, glImport, webhooks, limits, counters, faults, log } = deps;
  // One cache per served schema: a variant validates documents afresh.
  const caches = new WeakMap<GraphQLSchema, DocumentCache>();
  const documentsFor = (schema: GraphQLSchema): DocumentCache => {
    let cache = caches.get(schema);
    if (!cache) {
      cache = new DocumentCache(schema);
      caches.set(schema, cache);
    }
    return cache;
  };

  const send = (
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): number => {
    const payload = Buffer.from(JSON.stringify(body));
    response.writeHead(status, {
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': payload.length,
    });
    response.end(payload);
    return payload.length;
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== GRAPHQL_PATH) {
      send(response, 404, { errors: [xledgerError(`Not found: ${url.pathname}`, 'NOT_FOUND')] });
      return;
    }
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      send(response, 405, { errors: [xledgerError('Use POST with a JSON body', 'METHOD_NOT_ALLOWED')] });
      return;
    }
    const body = await readBody(request);
    const bytesIn = body.length;
    // JSON, or multipart with the file parts a document names (uploads.ts).
    const { payload, payloadError, uploads } = await readPayload(body, request.headers['content-type']);
    const query = typeof payload.query === 'string' ? payload.query : '';
    const operationName = typeof payload.operationName === 'string' ? payload.operationName : undefined;
    const fields = rootFields(query, operationName);

    const authorization = readAuthorization(request.headers.authorization);
    const token: ApiToken | undefined = authorization.ok ? state.tokens.get(authorization.secret) : undefined;
    if (!token) {
      // As the real API answers (M): the message only, no code, no data.
      const bytesOut = send(response, 200, { errors: [{ message: TOKEN_REFUSED_MESSAGE }] });
      counters.record(UNAUTHENTICATED, fields, { bytesIn, bytesOut, refused: true });
      log.debug(
        { fields, reason: authorization.ok ? 'an unknown token' : authorization.reason },
        'token refused',
      );
      return;
    }

    const started = Date.now();
    const refusal = limits.admit(token.name, state.now());
    if (refusal) {
      const bytesOut = send(
        response,
        refusal.status ?? 200,
        { data: null, errors: [xledgerError(refusal.message, refusal.code, refusal.extensions)] },
        refusal.retryAfterSeconds !== undefined ? { 'retry-after': String(refusal.retryAfterSeconds) } : {},
      );
      counters.record(token.name, fields, { bytesIn, bytesOut, refused: true });
      log.debug({ tokenName: token.name, fields, code: refusal.code }, 'request refused by a limit');
      return;
    }
    let bytesOut = 0;
    let refused = true;
    try {
      if (payloadError) {
        bytesOut = send(response, 400, { errors: [xledgerError(payloadError, 'BAD_REQUEST')] });
        return;
      }
      const schema = served.current;
      const prepared = documentsFor(schema).get(query);
      if (!prepared.document) {
        bytesOut = send(response, prepared.status, { errors: prepared.errors });
        return;
      }
      const introspectionRefused = served.introspectionRefusal(prepared.document);
      if (introspectionRefused.length > 0) {
        bytesOut = send(response, 400, {
          errors: introspectionRefused.map((error) => fromGraphQLError(error, 'GRAPHQL_VALIDATION_FAILED')),
        });
        return;
      }
      const fault = faults.take({ tokenName: token.name, tokenSecret: token.secret, fields });
      if (fault) {
        log.info({ tokenName: token.name, fields, fault: fault.kind, faultId: fault.id }, 'injecting fault');
        const answered = await answerWithFault(fault, response);
        if (answered !== null) {
          bytesOut = answered;
          return;
        }
      }
      const context: RequestContext = {
        state,
        glImport,
        webhooks,
        token,
        today: cetToday(state.now()),
        ...(fault?.kind === 'dropPage' ? { dropPageOf: fault.field ?? '*' } : {}),
        credits: limits.credits(state.now()),
        ...(uploads ? { uploads } : {}),
      };
      const run = () =>
        execute({
          schema,
          document: prepared.document!,
          variableValues: (payload.variables ?? undefined) as Record<string, unknown> | undefined,
          operationName,
          contextValue: context,
        });
      const result: ExecutionResult = await run();
      // A forced duplicate: the same request applied a second time, its answer dropped.
      if (fault?.kind === 'duplicateCommit') await run();
      // Without `data`, the request never ran: its variables did not fit the schema.
      const ran = 'data' in result;
      const errors = (result.errors ?? []).map((error) =>
        fromGraphQLError(error, ran ? 'INTERNAL_SERVER_ERROR' : 'INVALID_VALUE'),
      );
      for (const error of result.errors ?? []) {
        if (error.originalError && !(error.originalError instanceof GraphQLError)) {
          log.error({ err: error.originalError, fields }, 'resolver failed');
        }
      }
      if (fault?.kind === 'malformed')
        corruptRecords(result.data as Record<string, unknown> | null | undefined);
      const truncation = TRUNCATION_KINDS.find((kind) => kind === fault?.kind);
      if (fault && truncation) {
        truncateConnections(
          result.data as Record<string, unknown> | null | undefined,
          responseKeysOf(prepared.document, operationName, fault.field),
          truncation,
        );
      }
      if (fault?.kind === 'commitThenDrop') {
        // The mutation is applied; the answer is lost on the way back.
        request.socket.destroy();
        refused = false;
        return;
      }
      const body = ran ? { data: result.data ?? null, ...(errors.length > 0 ? { errors } : {}) } : { errors };
      bytesOut = send(response, ran ? 200 : 400, body);
      refused = errors.length > 0;
    } finally {
      limits.release(token.name);
      counters.record(token.name, fields, { bytesIn, bytesOut, refused });
      log.debug({ tokenName: token.name, fields, ms: Date.now() - started, bytesOut }, 'graphql request');
    }

    /** Answers the request as the fault says, or returns null to let it run (slow, malformed, commitThenDrop). */
    async function answerWithFault(fault: FaultRule, response: ServerResponse): Promise<number | null> {
      if (fault.delayMs > 0) await sleep(fault.delayMs);
      const refuse = (
        message: string,
        code: string,
        extensions?: Record<string, unknown>,
        status = 200,
        headers: Record<string, string> = {},
      ) => send(response, status, { data: null, errors: [xledgerError(message, code, extensions)] }, headers);
      switch (fault.kind) {
        case 'burstRateLimit':
          return refuse(LIMIT_MESSAGES.burst, LIMIT_CODES.burst);
        case 'concurrencyLimit':
          return refuse(LIMIT_MESSAGES.concurrency, LIMIT_CODES.concurrency);
        case 'insufficientCredits': {
          const now = state.now();
          const credits = creditsRefusal(now, limits.creditsResetAt(now), limits.settings.creditsRefusal);
          return refuse(credits.message, credits.code, credits.extensions, credits.status, {
            'retry-after': String(credits.retryAfterSeconds),
          });
        }
        case 'timeout':
          return refuse(TIMEOUT_MESSAGE, TIMEOUT_CODE);
        case 'httpError': {
          const text = http.STATUS_CODES[fault.status] ?? 'Server Error';
          response.writeHead(fault.status, { 'content-type': 'text/plain; charset=utf-8' });
          response.end(text);
          return Buffer.byteLength(text);
        }
        case 'connectionReset':
          request.socket.destroy();
          return 0;
        default:
          return null;
      }
    }
  }

  return http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log.error({ err: error }, 'graphql request failed');
      if (!response.headersSent && !request.socket.destroyed) {
        send(response, 500, { errors: [xledgerError('Internal server error', 'INTERNAL_SERVER_ERROR')] });
      }
    });
  });
}
