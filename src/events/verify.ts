/**
 * `verifyWebhook(rawBody, headers, secret)`: what SEMINE's receiver calls on each delivery. It
 * checks the Standard Webhooks signature over the raw body (with the `standardwebhooks` library:
 * constant-time, and a timestamp more than 5 minutes off is refused as a replay), then parses the
 * body with zod into the typed event union, so that `switch (event.type)` narrows `event.data`.
 * During a secret rotation pass both secrets (the new one first): a delivery signed with either
 * verifies. Every refusal is a WebhookVerificationError; its message never holds the secret.
 */
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import { XledgerSyncError } from '../errors';
import { eventTypes, type EventPayloads, type EventType } from '../domain/event-catalogue';
import { EVENT_TYPE_HEADER, TENANT_HEADER } from './webhook';

/** One delivered event, typed by its `type`. */
export type WebhookEvent = {
  [T in EventType]: {
    /** Opaque (`evt_…`), equal to the `webhook-id` header: de-duplicate by it. */
    id: string;
    type: T;
    tenantId: string;
    /** The tenant's event sequence: deliveries arrive in this order. */
    seq: number;
    /** When the fact happened (ISO 8601). */
    timestamp: string;
    data: EventPayloads[T];
  };
}[EventType];

export class WebhookVerificationError extends XledgerSyncError {
  override name = 'WebhookVerificationError';
}

/** Node's `req.headers`, a plain record, or fetch's `Headers`. */
export type WebhookHeaders =
  Record<string, string | string[] | undefined> | { get(name: string): string | null };

const envelopeSchema = z.object({
  id: z.string().regex(/^evt_[A-Za-z0-9_-]+$/, 'must be an opaque event id (evt_…)'),
  type: z.enum(eventTypes),
  tenantId: z.string().min(1),
  seq: z.number().int().positive(),
  timestamp: z.iso.datetime({ offset: true }),
  data: z.record(z.string(), z.unknown()),
});

const SIGNED_HEADERS = [
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  EVENT_TYPE_HEADER,
  TENANT_HEADER,
];

function headerRecord(headers: WebhookHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof headers.get === 'function') {
    const get = headers.get.bind(headers) as (name: string) => string | null;
    for (const name of SIGNED_HEADERS) {
      const value = get(name);
      if (value !== null) out[name] = value;
    }
    return out;
  }
  for (const [name, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') out[name.toLowerCase()] = first;
  }
  return out;
}

/**
 * Verifies one delivery and returns its event. `rawBody` is the body exactly as received (a
 * Buffer or its UTF-8 text: verify before parsing); `secret` is the endpoint's `whsec_…` secret,
 * or several during a rotation.
 */
export function verifyWebhook(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string | readonly string[],
): WebhookEvent {
  const body = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8');
  const record = headerRecord(headers);
  const secrets = typeof secret === 'string' ? [secret] : [...secret];
  if (secrets.length === 0) throw new WebhookVerificationError('No secret to verify the webhook with');
  let verified: unknown;
  let lastProblem = 'no secret given';
  for (const candidate of secrets) {
    try {
      verified = new Webhook(candidate).verify(body, record);
      break;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
  }
  if (verified === undefined) {
    throw new WebhookVerificationError(`Webhook signature not verified: ${lastProblem}`);
  }
  const parsed = envelopeSchema.safeParse(verified);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WebhookVerificationError(
      `Webhook body is not an xledger-sync event: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const event = parsed.data;
  if (event.id !== record['webhook-id']) {
    throw new WebhookVerificationError('Webhook body id differs from its webhook-id header');
  }
  for (const [header, value] of [
    [EVENT_TYPE_HEADER, event.type],
    [TENANT_HEADER, event.tenantId],
  ] as const) {
    if (record[header] !== undefined && record[header] !== value) {
      throw new WebhookVerificationError(`Webhook header ${header} differs from the signed body`);
    }
  }
  // The envelope is checked here; `data` is as the signed body says, in the shape the catalogue
  // gives its type (src/events/catalogue.ts): the signature shows xledger-sync wrote it.
  return event as unknown as WebhookEvent;
}
