/**
 * SSRF by connection, not by string: a webhook URL whose host reads as public but resolves to
 * an internal address is refused when the delivery connects, before any byte reaches it. The
 * resolver here maps public-looking names (as `10.0.0.5.nip.io` and `localtest.me` do) to
 * 127.0.0.1, where a real receiver listens: a request that got through would be counted there.
 * No connection leaves the machine: public addresses are judged by the look-up alone.
 */
import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../src/domain/event-catalogue';
import { sendWebhook } from '../../src/events/webhook';
import { webhookIdOf } from '../../src/events/webhook-id';
import { blockedAddressReason, guardedLookup, type Resolver } from '../../src/security/webhook-connection';
import { webhookEndpointProblem } from '../../src/security/webhook-policy';
import type { StoredEvent } from '../../src/store/events';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const SECRET = `whsec_${Buffer.from('a-webhook-secret-of-32-bytes-ok!').toString('base64')}`;

/** A DNS of the test's own: names to addresses, nothing else resolves. */
function resolverOf(names: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolver = async (hostname: string): Promise<LookupAddress[]> => {
    asked.push(hostname);
    const addresses = names[hostname];
    if (!addresses) throw Object.assign(new Error(`no such host ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolver, { asked });
}

const event: StoredEvent = {
  _id: 'acme:1',
  id: 'tenant.ready:acme',
  tenantId: 'acme',
  type: 'tenant.ready',
  data: { dataTypes: ['suppliers'] },
  occurredAt: new Date('2026-12-01T10:00:00Z'),
  seq: 1,
  recordedAt: new Date('2026-12-01T10:00:00Z'),
  delivery: { state: 'pending', attempts: 0, lastError: null, lastAttemptAt: null, deliveredAt: null },
} satisfies NewEvent & Partial<StoredEvent>;

let receiver: WebhookReceiver;
let port: number;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
  port = Number(new URL(receiver.url('/')).port);
});
afterAll(async () => {
  await receiver?.close();
});

/** The receiver's URL under another host name (which the test's resolver maps). */
const urlAt = (host: string, path: string) => `http://${host}:${port}${path}`;

describe('a public-looking name that resolves to an internal address', () => {
  it('passes the string check (which is why the connection must be checked)', () => {
    const policy = { allowedHosts: null, insecureHosts: [] };
    expect(webhookEndpointProblem('https://10.0.0.5.nip.io/hook', policy)).toBeNull();
    expect(webhookEndpointProblem('https://localtest.me/hook', policy)).toBeNull();
  });

  it('is refused at connect time: the receiver behind it gets nothing', async () => {
    for (const host of ['localtest.me', 'hooks.semine.example']) {
      const resolver = resolverOf({ [host]: ['127.0.0.1'] });
      const path = `/refused-${host}`;
      const outcome = await sendWebhook({ url: urlAt(host, path), secret: SECRET }, event, {
        timeoutMs: 5_000,
        resolver,
      });
      expect(outcome.ok).toBe(false);
      expect(!outcome.ok && outcome.error).toMatch(/refused: .* 127\.0\.0\.1 is a loopback address/);
      expect(resolver.asked).toEqual([host]);
      expect(receiver.requests(path)).toEqual([]);
    }
  });

  it('is refused when any of its addresses is internal (no fallback to the private one)', async () => {
    const resolver = resolverOf({ 'mixed.semine.example': ['93.184.215.14', '127.0.0.1'] });
    const outcome = await sendWebhook(
      { url: urlAt('mixed.semine.example', '/mixed'), secret: SECRET },
      event,
      { timeoutMs: 5_000, resolver },
    );
    expect(!outcome.ok && outcome.error).toMatch(/127\.0\.0\.1 is a loopback address/);
    expect(receiver.requests('/mixed')).toEqual([]);
  });

  it('is delivered when the host is explicitly allowed (WEBHOOK_INSECURE_HOSTS)', async () => {
    const resolver = resolverOf({ 'receiver.test': ['127.0.0.1'] });
    const outcome = await sendWebhook({ url: urlAt('receiver.test', '/allowed'), secret: SECRET }, event, {
      timeoutMs: 5_000,
      resolver,
      insecureHosts: ['receiver.test'],
    });
    expect(outcome).toEqual({ ok: true, status: 200 });
    expect(receiver.delivered('/allowed').map((e) => e.id)).toEqual([webhookIdOf(event.id)]);
  });

  it('an internal address literal is refused without a look-up', async () => {
    const resolver = resolverOf({});
    const outcome = await sendWebhook({ url: `http://127.0.0.1:${port}/literal`, secret: SECRET }, event, {
      timeoutMs: 5_000,
      resolver,
    });
    expect(!outcome.ok && outcome.error).toMatch(/refused: 127\.0\.0\.1 is a loopback address/);
    expect(receiver.requests('/literal')).toEqual([]);
  });
});

describe('the connect-time look-up', () => {
  const lookUp = (resolver: Resolver, hostname: string, all: boolean) =>
    new Promise<{ error: Error | null; address: string | LookupAddress[] }>((resolve) => {
      guardedLookup(resolver)(hostname, { all }, (error, address) => resolve({ error, address }));
    });

  it('passes a public address, in both answer forms', async () => {
    const resolver = resolverOf({ 'hooks.semine.example': ['93.184.215.14', '2606:4700::6810:84e5'] });
    expect(await lookUp(resolver, 'hooks.semine.example', false)).toEqual({
      error: null,
      address: '93.184.215.14',
    });
    expect(await lookUp(resolver, 'hooks.semine.example', true)).toEqual({
      error: null,
      address: [
        { address: '93.184.215.14', family: 4 },
        { address: '2606:4700::6810:84e5', family: 6 },
      ],
    });
  });

  it('refuses loopback, private, link-local, metadata, CGNAT and IPv4-in-IPv6 addresses', async () => {
    const internal = [
      '127.0.0.1',
      '10.0.0.5',
      '172.16.4.1',
      '192.168.1.10',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fd00:ec2::254',
      'fe80::1',
      '::ffff:10.0.0.5',
      '64:ff9b::7f00:1',
    ];
    for (const address of internal) {
      const resolver = resolverOf({ 'public-looking.example': [address] });
      const { error } = await lookUp(resolver, 'public-looking.example', false);
      expect(error?.name, address).toBe('BlockedAddressError');
      expect(blockedAddressReason(address), address).not.toBeNull();
    }
    expect(blockedAddressReason('93.184.215.14')).toBeNull();
  });
});
