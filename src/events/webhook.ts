import { Webhook } from 'standardwebhooks';
import type { StoredEvent } from '../store/events';

/** Where one event goes, with the secret that signs it. */
export interface WebhookTarget {
  url: string;
  secret: string;
}

/** What SEMINE receives: the Standard Webhooks payload shape (type, timestamp, data) plus ids. */
export interface WebhookPayload {
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
    id: event.id,
    type: event.type,
    tenantId: event.tenantId,
    seq: event.seq,
    timestamp: event.occurredAt.toISOString(),
    data: event.data,
  };
}

export type SendOutcome = { ok: true; status: number } | { ok: false; error: string };

/**
 * One signed POST (Standard Webhooks: `webhook-id` = the event id, `webhook-timestamp`,
 * `webhook-signature`). Any 2xx answer delivers; anything else, a redirect included (it could
 * lead to a host the policy refuses), a timeout or a refused connection is a failed attempt.
 * Error texts name only the URL's origin: a receiver may keep its own token in the path or query.
 */
export async function sendWebhook(
  target: WebhookTarget,
  event: StoredEvent,
  options: { timeoutMs: number; now?: Date },
): Promise<SendOutcome> {
  const body = JSON.stringify(webhookPayload(event));
  const timestamp = options.now ?? new Date();
  const signature = new Webhook(target.secret).sign(event.id, timestamp, body);
  const where = originOf(target.url);
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'xledger-sync',
        'webhook-id': event.id,
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    // Free the connection; the answer's body is not ours to keep.
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    return { ok: false, error: `${where} answered HTTP ${response.status}` };
  } catch (error) {
    const reason =
      error instanceof Error && error.name === 'TimeoutError'
        ? `did not answer within ${options.timeoutMs} ms`
        : `could not be reached: ${causeOf(error)}`;
    return { ok: false, error: `${where} ${reason}` };
  }
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
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
