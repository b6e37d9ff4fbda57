import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { webhookEndpointProblem } from '../../src/security/webhook-policy';
import { WEBHOOK_SECRET_OVERLAP_MS } from '../../src/store/tenant-record';
import { TenantStore } from '../../src/store/tenants';
import { TokenCipher } from '../../src/store/token-cipher';
import { tenantConfigSchema } from '../../src/domain/tenant';
import { useScratchDb } from '../support/scratch-store';

const db = useScratchDb('webhook_config');
const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const policy = { allowedHosts: null, insecureHosts: ['127.0.0.1'] };

describe('webhook endpoints', () => {
  it('are https on a public or allowed host; plain http and internal hosts only where configured', () => {
    expect(webhookEndpointProblem('https://hooks.semine.example/x', policy)).toBeNull();
    expect(webhookEndpointProblem('http://hooks.semine.example/x', policy)).toMatch(/must be https/);
    expect(webhookEndpointProblem('http://127.0.0.1:9000/x', policy)).toBeNull();
    for (const internal of [
      'https://10.1.2.3/x',
      'https://localhost/x',
      'https://[::1]/x',
      'https://169.254.169.254/x',
    ]) {
      expect(webhookEndpointProblem(internal, policy)).toMatch(/loopback, private or link-local/);
    }
    expect(webhookEndpointProblem('https://user:pw@hooks.semine.example/x', policy)).toMatch(/credentials/);
    const listed = { allowedHosts: ['*.semine.example', 'hooks.partner.example'], insecureHosts: [] };
    expect(webhookEndpointProblem('https://a.semine.example/x', listed)).toBeNull();
    expect(webhookEndpointProblem('https://hooks.partner.example/x', listed)).toBeNull();
    expect(webhookEndpointProblem('https://evil.example/x', listed)).toMatch(/not in WEBHOOK_ALLOWED_HOSTS/);
  });

  it('the service default is checked at start, with its secret', () => {
    expect(() => loadConfig({ WEBHOOK_DEFAULT_URL: 'https://hooks.semine.example/x' })).toThrow(
      /WEBHOOK_DEFAULT_URL and WEBHOOK_DEFAULT_SECRET go together/,
    );
    expect(() =>
      loadConfig({ WEBHOOK_DEFAULT_URL: 'http://hooks.semine.example/x', WEBHOOK_DEFAULT_SECRET: secret() }),
    ).toThrow(ConfigError);
    const value = secret();
    const config = loadConfig({
      WEBHOOK_DEFAULT_URL: 'https://hooks.semine.example/x',
      WEBHOOK_DEFAULT_SECRET: value,
    });
    expect(config.webhooks.defaultEndpoint).toEqual({ url: 'https://hooks.semine.example/x', secret: value });
    let message = '';
    try {
      loadConfig({
        WEBHOOK_DEFAULT_URL: 'https://hooks.semine.example/x',
        WEBHOOK_DEFAULT_SECRET: 'whsec_short',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/WEBHOOK_DEFAULT_SECRET: must be a Standard Webhooks secret/);
    expect(message).not.toContain('whsec_short');
  });
});

describe("a tenant's webhook", () => {
  it('names the field of a bad secret without echoing it', () => {
    const parsed = tenantConfigSchema.safeParse({
      tenantId: 'hooked',
      xledger: { token: 'a-token-of-some-length' },
      entityOwnerDbId: 101,
      webhook: { url: 'https://hooks.semine.example/x', secret: 'not-a-secret-at-all' },
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join('.'))).toEqual(['webhook.secret']);
    expect(JSON.stringify(parsed.error!.issues)).not.toContain('not-a-secret-at-all');
  });

  it('is stored with its secret encrypted, never read back but by the delivery, and dropped with the config', async () => {
    const cipher = new TokenCipher(randomBytes(32));
    const tenants = new TenantStore(db(), cipher, 'https://www.xledger.net/graphql');
    const value = secret();
    const config = tenantConfigSchema.parse({
      tenantId: 'hooked',
      xledger: { token: 'a-token-of-some-length' },
      entityOwnerDbId: 101,
      webhook: { url: 'https://hooks.semine.example/x', secret: value },
    });
    const settings = await tenants.save(config);
    expect(JSON.stringify(settings)).not.toContain(value);
    expect(settings.webhook).toEqual({ url: 'https://hooks.semine.example/x' });
    const read = await tenants.get('hooked');
    expect(read.webhook).toEqual({ url: 'https://hooks.semine.example/x' });
    expect(JSON.stringify(read)).not.toContain('Ciphertext');
    expect(JSON.stringify(await tenants.list())).not.toContain(value);
    const raw = await db()
      .collection('tenants')
      .findOne({ _id: 'hooked' as never });
    expect(JSON.stringify(raw)).not.toContain(value);
    expect(await tenants.webhook('hooked')).toEqual({
      url: 'https://hooks.semine.example/x',
      secret: value,
      previousSecrets: [],
    });
    // The secret's ciphertext is bound to its purpose: it never decrypts as the tenant's token.
    expect(() => cipher.decrypt(raw!.webhookSecretCiphertext as string, 'hooked')).toThrow(
      /token of tenant hooked/,
    );

    await tenants.save(tenantConfigSchema.parse({ ...config, webhook: undefined }));
    expect((await tenants.get('hooked')).webhook).toBeUndefined();
    expect(await tenants.webhook('hooked')).toBeNull();
  });

  it('a changed secret keeps the replaced one signing for the overlap period, then only the new one', async () => {
    const tenants = new TenantStore(
      db(),
      new TokenCipher(randomBytes(32)),
      'https://www.xledger.net/graphql',
    );
    const [first, second] = [secret(), secret()];
    const configWith = (value: string) =>
      tenantConfigSchema.parse({
        tenantId: 'rotating',
        xledger: { token: 'a-token-of-some-length' },
        entityOwnerDbId: 101,
        webhook: { url: 'https://hooks.semine.example/r', secret: value },
      });
    const start = new Date('2026-12-01T10:00:00Z');
    await tenants.save(configWith(first), start);
    expect((await tenants.webhook('rotating', start))!.previousSecrets).toEqual([]);
    await tenants.save(configWith(second), start);
    expect(await tenants.webhook('rotating', start)).toMatchObject({
      secret: second,
      previousSecrets: [first],
    });
    // The same secret again leaves the rotation as it is.
    await tenants.save(configWith(second), new Date(start.getTime() + 60_000));
    const during = new Date(start.getTime() + WEBHOOK_SECRET_OVERLAP_MS - 1);
    expect((await tenants.webhook('rotating', during))!.previousSecrets).toEqual([first]);
    const after = new Date(start.getTime() + WEBHOOK_SECRET_OVERLAP_MS + 1);
    expect((await tenants.webhook('rotating', after))!.previousSecrets).toEqual([]);
    // Reads never return either secret; the replaced one is stored encrypted only.
    const raw = await db()
      .collection('tenants')
      .findOne({ _id: 'rotating' as never });
    expect(JSON.stringify(raw)).not.toContain(first);
    expect(JSON.stringify(await tenants.get('rotating'))).not.toContain('Ciphertext');
  });
});
