import { Webhook } from 'standardwebhooks';
import {
  guardedLookup,
  literalAddressProblem,
  resolverLookup,
  type Resolver,
} from '../security/webhook-connection';
import type { StoredEvent } from '../store/events';
import { webhookIdOf } from './webhook-id';
import { postWebhook } from './webhook-post';

/** Where one event goes, with the secret that signs it. */
export interface WebhookTarget {
  url: string;
  secret: string;
  /** During a secret rotation: the replaced secret(s), each signing beside `secret`. */
  previousSecrets?: readonly string[];
  /** The tenant's `webhook.eventTypes`: only these are POSTed (absent: all). */
  eventTypes?: readonly string[];
}

/** What SEMINE receives: the Standard Webhooks payload shape (type, timestamp, data) plus ids. */
export interface WebhookPayload {
  /** Opaque (`evt_…`, no `.`), the same as the `webhook-id` header; never changes for an event. */
  id: string;
  type: StoredEvent['type'];
  tenantId: string;
  /** The tenant's event sequence: deliveries arrive in this order. */
  seq: number;
  /** When the fact happened (ISO 8601). */
  timestamp: string;
  data: StoredEvent['data'];
}

export function webhookPayload(event: StoredEvent): WebhookPayload {
  return {
    id: webhookIdOf(event.id),
    type: event.type,
    tenantId: event.tenantId,
    seq: event.seq,
    timestamp: event.occurredAt.toISOString(),
    data: event.data,
  };
}

export type SendOutcome =
  | { ok: true; status: number }
  | {
      ok: false;
      error: string;
      /** The receiver's answer, when there was one. */
      status?: number;
      /** Its `Retry-After`, in ms (seconds or an HTTP date), when it gave one. */
      retryAfterMs?: number;
    };

/** Headers beside the signature, so a receiver can route (or pick a tenant's secret) before verifying. */
export const EVENT_TYPE_HEADER = 'xledger-sync-event-type';
export const TENANT_HEADER = 'xledger-sync-tenant-id';

/**
 * One signed POST (Standard Webhooks: `webhook-id` = the event id, `webhook-timestamp`,
 * `webhook-signature`). Any 2xx answer delivers; anything else, a redirect included (it could
 * lead to a host the policy refuses), a timeout or a refused connection is a failed attempt.
 * The connection goes only to a public address, judged when it connects
 * (security/webhook-connection.ts), unless the host is one of `insecureHosts`.
 * Error texts name only the URL's origin: a receiver may keep its own token in the path or query.
 */
export async function sendWebhook(
  target: WebhookTarget,
  event: StoredEvent,
  options: {
    timeoutMs: number;
    now?: Date;
    /** WEBHOOK_INSECURE_HOSTS: hosts whose connections are not checked (local receivers). */
    insecureHosts?: readonly string[];
    /** How host names are resolved (the system's resolver by default). */
    resolver?: Resolver;
  },
): Promise<SendOutcome> {
  const payload = webhookPayload(event);
  const body = JSON.stringify(payload);
  const timestamp = options.now ?? new Date();
  // One signature per secret, space-separated (Standard Webhooks): during a rotation a receiver
  // holding either the new or the replaced secret verifies.
  const signature = [target.secret, ...(target.previousSecrets ?? [])]
    .map((secret) => new Webhook(secret).sign(payload.id, timestamp, body))
    .join(' ');
  const where = originOf(target.url);
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    return { ok: false, error: `${where} is not a URL` };
  }
  const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  const checked = !(options.insecureHosts ?? []).includes(host);
  const literal = checked ? literalAddressProblem(host) : null;
  if (literal) return { ok: false, error: `${where} refused: ${literal}` };
  try {
    const response = await postWebhook(
      url,
      {
        'content-type': 'application/json',
        'user-agent': 'xledger-sync',
        'webhook-id': payload.id,
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': signature,
        [EVENT_TYPE_HEADER]: event.type,
        [TENANT_HEADER]: event.tenantId,
      },
      body,
      {
        timeoutMs: options.timeoutMs,
        ...(checked
          ? { lookup: guardedLookup(options.resolver) }
          : options.resolver
            ? { lookup: resolverLookup(options.resolver, { refuseInternal: false }) }
            : {}),
      },
    );
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    const retryAfterMs = retryAfterOf(response.headers['retry-after'], timestamp);
    return {
      ok: false,
      error: `${where} answered HTTP ${response.status}`,
      status: response.status,
      ...(retryAfterMs === null ? {} : { retryAfterMs }),
    };
  } catch (error) {
    const reason =
      error instanceof Error && error.name === 'TimeoutError'
        ? `did not answer within ${options.timeoutMs} ms`
        : error instanceof Error && error.name === 'BlockedAddressError'
          ? `refused: ${error.message}`
          : `could not be reached: ${causeOf(error)}`;
    return { ok: false, error: `${where} ${reason}` };
  }
}

/** `Retry-After` as delay-seconds or an HTTP date, in ms from `now`; null if absent or unreadable. */
export function retryAfterOf(value: string | string[] | undefined, now: Date): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return null;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the webhook URL';
  }
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = (error as { code?: unknown })?.code;
  return (
    cause?.code ??
    cause?.message ??
    (typeof code === 'string' ? code : undefined) ??
    (error instanceof Error ? error.message : String(error))
  );
}
