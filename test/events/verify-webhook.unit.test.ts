/**
 * verifyWebhook as SEMINE's receiver uses it: on what a real receiver got from sendWebhook (raw
 * body, Node's headers), returning the typed event; refusing a wrong secret, a changed body, a
 * header that disagrees with the signed body, and a body that is no xledger-sync event.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventIds } from '../../src/domain/event-catalogue';
import { verifyWebhook, WebhookVerificationError } from '../../src/events/verify';
import { sendWebhook } from '../../src/events/webhook';
import { webhookIdOf } from '../../src/events/webhook-id';
import type { StoredEvent } from '../../src/store/events';
import {
  startWebhookReceiver,
  type ReceivedRequest,
  type WebhookReceiver,
} from '../support/webhook-receiver';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const secret = newSecret();

const event: StoredEvent = {
  _id: 'acme:7',
  id: eventIds.invoiceRejected('acme', 'INV.2026/0042'),
  tenantId: 'acme',
  type: 'invoice.rejected',
  data: {
    invoiceId: 'INV.2026/0042',
    reasons: ['supplierCode: unknown'],
    rejectedAt: '2026-12-01T10:00:00.000Z',
  },
  occurredAt: new Date('2026-12-01T10:00:00Z'),
  seq: 7,
  recordedAt: new Date('2026-12-01T10:00:00Z'),
  delivery: { state: 'pending', attempts: 0, lastError: null, lastAttemptAt: null, deliveredAt: null },
};

let receiver: WebhookReceiver;
let received: ReceivedRequest;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
  const outcome = await sendWebhook({ url: receiver.url('/verify'), secret }, event, {
    timeoutMs: 5_000,
    insecureHosts: ['127.0.0.1'],
  });
  expect(outcome.ok).toBe(true);
  received = receiver.requests('/verify')[0]!;
});
afterAll(async () => {
  await receiver?.close();
});

describe('verifyWebhook', () => {
  it('returns the typed event from the raw body and Node’s headers', () => {
    const verified = verifyWebhook(Buffer.from(received.body), received.headers, secret);
    expect(verified).toEqual({
      id: webhookIdOf(event.id),
      type: 'invoice.rejected',
      tenantId: 'acme',
      seq: 7,
      timestamp: '2026-12-01T10:00:00.000Z',
      data: event.data,
    });
    // The stored id holds `.` and SEMINE's own invoice id; the one delivered holds neither.
    expect(verified.id).not.toMatch(/[.:]/);
    expect(received.headers['webhook-id']).toBe(verified.id);
    if (verified.type === 'invoice.rejected') {
      // Narrowed by type: reasons is string[] here (a compile error otherwise).
      const reasons: string[] = verified.data.reasons;
      expect(reasons).toEqual(['supplierCode: unknown']);
    } else {
      expect.unreachable('an invoice.rejected event');
    }
  });

  it('accepts either secret during a rotation, and a fetch Headers object', () => {
    const headers = new Headers(received.headers as Record<string, string>);
    expect(verifyWebhook(received.body, headers, [newSecret(), secret]).seq).toBe(7);
  });

  it('during a rotation each delivery carries both signatures: a receiver with either secret verifies', async () => {
    const replacement = newSecret();
    const outcome = await sendWebhook(
      { url: receiver.url('/rotating'), secret: replacement, previousSecrets: [secret] },
      event,
      { timeoutMs: 5_000, insecureHosts: ['127.0.0.1'] },
    );
    expect(outcome.ok).toBe(true);
    const request = receiver.requests('/rotating')[0]!;
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyWebhook(request.body, request.headers, replacement).seq).toBe(7);
    expect(verifyWebhook(request.body, request.headers, secret).seq).toBe(7);
    expect(() => verifyWebhook(request.body, request.headers, newSecret())).toThrow(WebhookVerificationError);
    // Outside a rotation: one signature.
    expect(String(received.headers['webhook-signature']).split(' ')).toHaveLength(1);
  });

  it('refuses a wrong secret, a changed body, and headers that disagree with the body', () => {
    expect(() => verifyWebhook(received.body, received.headers, newSecret())).toThrow(
      WebhookVerificationError,
    );
    const changed = received.body.replace('supplierCode: unknown', 'supplierCode: fine');
    expect(() => verifyWebhook(changed, received.headers, secret)).toThrow(/signature not verified/);
    const otherTenant = { ...received.headers, 'xledger-sync-tenant-id': 'globex' };
    expect(() => verifyWebhook(received.body, otherTenant, secret)).toThrow(/xledger-sync-tenant-id differs/);
    const refusal = (() => {
      try {
        verifyWebhook(received.body, received.headers, newSecret());
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(refusal).not.toContain(secret.slice(6));
  });

  it('refuses a correctly signed body that is no xledger-sync event', () => {
    const body = JSON.stringify({ id: 'evt_x', type: 'invoice.teleported', tenantId: 'acme', seq: 1 });
    const now = new Date();
    const headers = {
      'webhook-id': 'evt_x',
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign('evt_x', now, body),
    };
    expect(() => verifyWebhook(body, headers, secret)).toThrow(/not an xledger-sync event: type/);
  });
});
