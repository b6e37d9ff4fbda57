/**
 * Xledger's webhooks, simulated: `addWebhooks`, `removeWebhooks`, `webhook(dbId:)` and signed
 * deliveries of a subscription when a record of its type changes.
 *
 * What is Xledger's (H: the Webhooks-CSharp sample in xledger/graphql-samples): the mutation
 * inputs `[{ node: { description, url, serializedPayload } }]`, the answer's
 * `edges { node { dbId description url state { code } serializedPayload lastSuccessfulPost
 * lastFailedPost } }`, `removeWebhooks(dbIds:) { numAffected }`, `webhook(dbId:) { dbId state
 * { code } }`, the states RUNNING, PAUSED, RECOVERING, FAULTED, the payload
 * `{ "query": "subscription { projects: projectsMutated { edges { syncVersion node { … } } } }" }`
 * and a delivery's body `{ "data": { <alias>: { "edges": [{ "syncVersion", "node" }] } } }` with
 * the headers `Date` and `X-XL-Webhook-Signature` (src/xledger/webhook-signature.ts).
 * What is ours (A): one delivery per change, deletions delivered (with the node's dbId only),
 * three attempts a second apart before a webhook is FAULTED, no scope needed to register, and
 * every subscription field but `projectsMutated` (see SUBSCRIPTION_FIELDS).
 */
import http from 'node:http';
import { Kind, parse, validate, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { Logger } from '../logger';
import { webhookSignature } from '../xledger/webhook-signature';
import type { ApiToken } from './auth';
import type { SimRecord } from './record-table';
import { invalidValue } from './scalars';
import type { MutationType, RecordType, SimulatorState } from './state';

export const WEBHOOK_STATES = ['RUNNING', 'PAUSED', 'RECOVERING', 'FAULTED'] as const;
export type WebhookState = (typeof WEBHOOK_STATES)[number];

/**
 * The Subscription type's fields and the record type each reports. `projectsMutated` is the one
 * public (H); the others are (A), offered so that a live-schema introspection finds more than it.
 */
export const SUBSCRIPTION_FIELDS: Readonly<Record<string, RecordType>> = {
  projectsMutated: 'projects',
  employeesMutated: 'employees',
  suppliersMutated: 'suppliers',
  objectKindsMutated: 'objectKinds',
  objectValuesMutated: 'objectValues',
};

const ATTEMPTS = 3;

interface SimWebhook {
  dbId: number;
  description: string | null;
  url: string;
  serializedPayload: string;
  field: string;
  /** The key the delivery's `data` carries: the alias, else the field. */
  responseKey: string;
  selection: string[];
  state: WebhookState;
  token: ApiToken;
  lastSuccessfulPost: string | null;
  lastFailedPost: string | null;
}

export interface SimDelivery {
  webhookDbId: number;
  url: string;
  date: string;
  signature: string;
  body: string;
}

export interface DeliveryLogEntry {
  webhookDbId: number;
  at: string;
  status: number | 'dropped' | 'error';
  replay: boolean;
}

export class SimWebhooks {
  private readonly hooks = new Map<number, SimWebhook>();
  private readonly dropNext = new Map<number, number>();
  private readonly lastDelivery = new Map<number, SimDelivery>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private syncVersion = 1;
  readonly log: DeliveryLogEntry[] = [];
  private closed = false;

  constructor(
    private readonly state: SimulatorState,
    private readonly schema: () => GraphQLSchema,
    private readonly logger: Logger,
  ) {
    state.changeListeners.push((type, record, mutationType) => this.changed(type, record, mutationType));
  }

  add(token: ApiToken, inputs: Array<{ node: Record<string, unknown> }>) {
    const created = inputs.map((input) => {
      const node = input.node;
      const url = String(node.url ?? '');
      if (!/^https?:\/\/\S+$/.test(url))
        throw invalidValue(`url must be an http(s) URL: ${JSON.stringify(url)}`);
      const payload = String(node.serializedPayload ?? '');
      const subscription = this.readSubscription(payload);
      const hook: SimWebhook = {
        dbId: this.state.allocateDbId(),
        description: node.description == null ? null : String(node.description),
        url,
        serializedPayload: payload,
        ...subscription,
        state: 'RUNNING',
        token,
        lastSuccessfulPost: null,
        lastFailedPost: null,
      };
      this.hooks.set(hook.dbId, hook);
      return hook;
    });
    return { edges: created.map((hook) => ({ node: this.view(hook) })) };
  }

  remove(token: ApiToken, dbIds: number[]): { numAffected: number } {
    let numAffected = 0;
    for (const dbId of dbIds) {
      const hook = this.hooks.get(Number(dbId));
      if (hook && hook.token.secret === token.secret) {
        this.hooks.delete(hook.dbId);
        numAffected += 1;
      }
    }
    return { numAffected };
  }

  get(token: ApiToken, dbId: number) {
    const hook = this.hooks.get(Number(dbId));
    return hook && hook.token.secret === token.secret ? this.view(hook) : null;
  }

  /** Admin: every webhook, without its token. */
  list() {
    return [...this.hooks.values()].map((hook) => ({
      ...this.view(hook),
      field: hook.field,
      token: hook.token.name,
    }));
  }

  /** Admin: as if Xledger paused or faulted it (or set it running again). */
  setState(dbId: number, state: WebhookState): boolean {
    const hook = this.hooks.get(dbId);
    if (!hook) return false;
    hook.state = state;
    return true;
  }

  /** Admin: the next `count` deliveries of the webhook are lost on the way. */
  drop(dbId: number, count: number): boolean {
    if (!this.hooks.has(dbId)) return false;
    this.dropNext.set(dbId, (this.dropNext.get(dbId) ?? 0) + count);
    return true;
  }

  /** Admin: sends the webhook's last delivery again, byte for byte (a replay). */
  async replay(dbId: number): Promise<number | 'error' | null> {
    const delivery = this.lastDelivery.get(dbId);
    if (!delivery) return null;
    const status = await post(delivery).catch(() => 'error' as const);
    this.log.push({ webhookDbId: dbId, at: new Date().toISOString(), status, replay: true });
    return status;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private view(hook: SimWebhook) {
    return {
      dbId: hook.dbId,
      description: hook.description,
      url: hook.url,
      state: { code: hook.state },
      serializedPayload: hook.serializedPayload,
      lastSuccessfulPost: hook.lastSuccessfulPost,
      lastFailedPost: hook.lastFailedPost,
    };
  }

  /** The payload is JSON `{ "query": "subscription { … }" }` with one field of the Subscription type. */
  private readSubscription(payload: string): Pick<SimWebhook, 'field' | 'responseKey' | 'selection'> {
    let query: unknown;
    try {
      query = (JSON.parse(payload) as { query?: unknown }).query;
    } catch {
      throw invalidValue('serializedPayload must be JSON: { "query": "subscription { … }" }');
    }
    if (typeof query !== 'string') throw invalidValue('serializedPayload has no "query"');
    let document;
    try {
      document = parse(query);
    } catch (error) {
      throw invalidValue(`serializedPayload: ${(error as Error).message}`);
    }
    const errors = validate(this.schema(), document);
    if (errors.length > 0) throw invalidValue(`serializedPayload: ${errors[0]!.message}`);
    const operation = document.definitions.find(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    const root = operation?.operation === 'subscription' ? operation.selectionSet.selections[0] : undefined;
    if (!root || root.kind !== Kind.FIELD || !SUBSCRIPTION_FIELDS[root.name.value]) {
      throw invalidValue('serializedPayload must hold a subscription to one field of the Subscription type');
    }
    const edges = root.selectionSet?.selections.find(
      (s) => s.kind === Kind.FIELD && s.name.value === 'edges',
    );
    const node =
      edges?.kind === Kind.FIELD
        ? edges.selectionSet?.selections.find((s) => s.kind === Kind.FIELD && s.name.value === 'node')
        : undefined;
    const selection =
      node?.kind === Kind.FIELD
        ? (node.selectionSet?.selections ?? []).flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []))
        : [];
    return { field: root.name.value, responseKey: root.alias?.value ?? root.name.value, selection };
  }

  private changed(type: RecordType, record: SimRecord, mutationType: MutationType): void {
    for (const hook of this.hooks.values()) {
      if (SUBSCRIPTION_FIELDS[hook.field] !== type || hook.state === 'PAUSED' || hook.state === 'FAULTED')
        continue;
      if (!this.state.recordOwners(hook.token, 'ALL').has(record.ownerDbId)) continue;
      const node =
        mutationType === 'DELETED'
          ? { dbId: record.dbId }
          : Object.fromEntries(hook.selection.filter((f) => f in record).map((f) => [f, record[f]]));
      const body = JSON.stringify({
        data: { [hook.responseKey]: { edges: [{ syncVersion: String(this.syncVersion++), node }] } },
      });
      const now = new Date();
      const delivery: SimDelivery = {
        webhookDbId: hook.dbId,
        url: hook.url,
        date: now.toUTCString(),
        signature: webhookSignature(hook.token.secret, Math.floor(now.getTime() / 1000), body),
        body,
      };
      this.lastDelivery.set(hook.dbId, delivery);
      const dropped = this.dropNext.get(hook.dbId) ?? 0;
      if (dropped > 0) {
        this.dropNext.set(hook.dbId, dropped - 1);
        this.log.push({ webhookDbId: hook.dbId, at: now.toISOString(), status: 'dropped', replay: false });
        continue;
      }
      this.attempt(hook, delivery, 1);
    }
  }

  private attempt(hook: SimWebhook, delivery: SimDelivery, attempt: number): void {
    if (this.closed) return;
    void post(delivery)
      .catch(() => 'error' as const)
      .then((status) => {
        const at = new Date().toISOString();
        this.log.push({ webhookDbId: hook.dbId, at, status, replay: false });
        if (typeof status === 'number' && status >= 200 && status < 300) {
          hook.lastSuccessfulPost = at;
          if (hook.state === 'RECOVERING') hook.state = 'RUNNING';
          return;
        }
        hook.lastFailedPost = at;
        if (attempt >= ATTEMPTS) {
          hook.state = 'FAULTED';
          this.logger.info({ webhookDbId: hook.dbId }, 'simulated webhook faulted');
          return;
        }
        hook.state = 'RECOVERING';
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.attempt(hook, delivery, attempt + 1);
        }, 1000);
        this.timers.add(timer);
      });
  }
}

function post(delivery: SimDelivery): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      delivery.url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          date: delivery.date,
          'x-xl-webhook-signature': delivery.signature,
          'content-length': Buffer.byteLength(delivery.body),
        },
        timeout: 10_000,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
    request.end(delivery.body);
  });
}
