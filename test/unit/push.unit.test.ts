/** The pure rules of push from Xledger (src/domain/push.ts) and the signature (src/xledger/webhook-signature.ts). */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  dataTypesOfSubscription,
  pushedDataTypes,
  stretchedIntervalMinutes,
  subscriptionsFor,
} from '../../src/domain/push';
import { webhookSignature, webhookSignatureMatches } from '../../src/xledger/webhook-signature';

describe('push rules', () => {
  it('stretches a pushed interval by the factor, never past the full-pass interval nor below its own', () => {
    expect(stretchedIntervalMinutes(30, 4, 24)).toBe(120);
    expect(stretchedIntervalMinutes(60, 4, 24)).toBe(240);
    expect(stretchedIntervalMinutes(24 * 60, 4, 24)).toBe(24 * 60);
    expect(stretchedIntervalMinutes(6 * 60, 4, 12)).toBe(12 * 60);
    expect(stretchedIntervalMinutes(48 * 60, 4, 24)).toBe(48 * 60);
  });

  it('pushes a type only when every subscription it needs is healthy', () => {
    const enabled = ['suppliers', 'dimensions', 'projects', 'accounts'];
    expect(
      pushedDataTypes(enabled, new Set(['suppliersMutated', 'projectsMutated', 'objectValuesMutated'])),
    ).toEqual(['suppliers']);
    expect(
      pushedDataTypes(
        enabled,
        new Set(['projectsMutated', 'employeesMutated', 'objectKindsMutated', 'objectValuesMutated']),
      ),
    ).toEqual(['dimensions', 'projects']);
  });

  it('registers only offered fields the enabled types need; a delivery triggers every type its field covers', () => {
    expect(
      subscriptionsFor(
        ['suppliers', 'vatCodes'],
        ['projectsMutated', 'suppliersMutated', 'objectValuesMutated'],
      ),
    ).toEqual(['suppliersMutated', 'objectValuesMutated']);
    expect(dataTypesOfSubscription('objectValuesMutated', ['suppliers', 'dimensions', 'vatCodes'])).toEqual([
      'dimensions',
      'vatCodes',
    ]);
    expect(dataTypesOfSubscription('invoicesMutated', ['suppliers'])).toEqual([]);
  });
});

describe('webhook signature', () => {
  const token = 'q1w2e3r4t5y6u7i8o9p0-_AbCdEfGhIjKlMn';
  const body = Buffer.from('{"data":{"projects":{"edges":[]}}}');

  it("is Xledger's sample's: HMAC-SHA256 keyed with the Base64Url-decoded token over '<seconds>.<body>', Base64Url", () => {
    const expected = createHmac('sha256', Buffer.from(token, 'base64url'))
      .update(`1765100000.${body.toString()}`)
      .digest('base64url');
    expect(webhookSignature(token, 1765100000, body)).toBe(expected);
  });

  it('matches only the same token, seconds and body; padding is accepted, garbage is not', () => {
    const signature = webhookSignature(token, 1765100000, body);
    expect(webhookSignatureMatches(token, signature, 1765100000, body)).toBe(true);
    expect(webhookSignatureMatches(token, `${signature}=`, 1765100000, body)).toBe(true);
    expect(webhookSignatureMatches(token, signature, 1765100001, body)).toBe(false);
    expect(webhookSignatureMatches(token, signature, 1765100000, Buffer.from(`${body.toString()} `))).toBe(
      false,
    );
    expect(webhookSignatureMatches(token.replace('q1', 'q2'), signature, 1765100000, body)).toBe(false);
    expect(webhookSignatureMatches(token, 'not a signature', 1765100000, body)).toBe(false);
    expect(webhookSignatureMatches(token, '', 1765100000, body)).toBe(false);
  });
});
