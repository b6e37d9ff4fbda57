import type { Db } from 'mongodb';
import type { OmittedField } from '../datatypes/optional-fields';
import { XledgerSyncError } from '../errors';
import type { TenantConfig, TenantSettings } from '../tenant';
import { collections } from './collections';
import { tenantSecretBinding, type TokenCipher } from './token-cipher';

/**
 * What the live schema check found when the tenant was last saved (src/xledger/schema-check.ts):
 * shown by the tenant's status.
 */
export interface TenantSchemaCheck {
  checkedAt: string;
  /**
   * verified: every operation the tenant needs fits Xledger's schema; not_verified: Xledger
   * refused introspection (nothing was validated); mismatch_accepted: some do not fit, and the
   * tenant was saved anyway on request (acceptSchemaMismatch).
   */
  outcome: 'verified' | 'not_verified' | 'mismatch_accepted';
  /** e.g. "schema not verified: Xledger refused introspection: …" */
  note: string | null;
  /** Accepted mismatches and missing scopes, one line each. */
  warnings: string[];
  /**
   * Optional fields the tenant's Xledger lacks (src/datatypes/optional-fields.ts): its syncs
   * leave them out. Absent in checks stored before optional fields existed.
   */
  omittedFields?: OmittedField[];
}

interface TenantDocument extends TenantSettings {
  _id: string;
  tokenCiphertext: string;
  webhookSecretCiphertext?: string;
  /**
   * The secret replaced by the last upsert, still signing beside the new one until
   * `webhookPreviousSecretUntil` (Standard Webhooks' rotation: receivers switch meanwhile).
   */
  webhookPreviousSecretCiphertext?: string;
  webhookPreviousSecretUntil?: Date;
  /** Delivery to this URL is off: it answered 410 Gone (events/endpoint-gone.ts). An upsert clears it. */
  webhookDisabled?: WebhookDisabled;
  schemaCheck?: TenantSchemaCheck;
  createdAt: Date;
  updatedAt: Date;
}

/** How long a replaced webhook secret still signs beside the new one. */
export const WEBHOOK_SECRET_OVERLAP_MS = 24 * 60 * 60_000;

export interface WebhookDisabled {
  url: string;
  at: Date;
  reason: string;
}

export class UnknownTenantError extends XledgerSyncError {
  override name = 'UnknownTenantError';
  constructor(readonly tenantId: string) {
    super(`Unknown tenant "${tenantId}"`);
  }
}

/** What reads leave out: the secrets, and what only the status shows. */
const SETTINGS_ONLY = {
  tokenCiphertext: 0,
  webhookSecretCiphertext: 0,
  webhookPreviousSecretCiphertext: 0,
  webhookPreviousSecretUntil: 0,
  webhookDisabled: 0,
  schemaCheck: 0,
} as const;

/** Tenants with their token and webhook secret encrypted at rest; reads never return either. */
export class TenantStore {
  constructor(
    private readonly db: Db,
    private readonly cipher: TokenCipher,
    private readonly defaultEndpoint: string,
  ) {}

  private get collection() {
    return this.db.collection<TenantDocument>(collections.tenants);
  }

  async save(
    config: TenantConfig,
    now = new Date(),
    schemaCheck?: TenantSchemaCheck,
  ): Promise<TenantSettings> {
    const settings = this.settingsOf(config);
    const rotation = config.webhook
      ? await this.secretRotation(config.tenantId, config.webhook.secret, now)
      : {};
    await this.collection.updateOne(
      { _id: config.tenantId },
      {
        $set: {
          ...settings,
          tokenCiphertext: this.cipher.encrypt(config.xledger.token, config.tenantId),
          ...(config.webhook
            ? {
                webhookSecretCiphertext: this.cipher.encrypt(
                  config.webhook.secret,
                  tenantSecretBinding(config.tenantId, 'webhook'),
                ),
              }
            : {}),
          ...rotation,
          ...(schemaCheck ? { schemaCheck } : {}),
          updatedAt: now,
        },
        $setOnInsert: { createdAt: now },
        // A config without a webhook drops the one stored before (an upsert is the whole config);
        // any upsert turns delivery to a disabled (410 Gone) endpoint back on.
        $unset: {
          webhookDisabled: '',
          ...(config.webhook
            ? {}
            : {
                webhook: '',
                webhookSecretCiphertext: '',
                webhookPreviousSecretCiphertext: '',
                webhookPreviousSecretUntil: '',
              }),
        },
      },
      { upsert: true },
    );
    return settings;
  }

  async get(tenantId: string): Promise<TenantSettings> {
    const doc = await this.collection.findOne({ _id: tenantId }, { projection: SETTINGS_ONLY });
    if (!doc) throw new UnknownTenantError(tenantId);
    const { _id, createdAt: _c, updatedAt: _u, ...settings } = doc;
    return settings;
  }

  /** What the live schema check found when the tenant was last saved; null before any. */
  async schemaCheck(tenantId: string): Promise<TenantSchemaCheck | null> {
    const doc = await this.collection.findOne({ _id: tenantId }, { projection: { schemaCheck: 1 } });
    if (!doc) throw new UnknownTenantError(tenantId);
    return doc.schemaCheck ?? null;
  }

  /** The optional fields the tenant's Xledger lacked at its last schema check (none before any). */
  async omittedFields(tenantId: string): Promise<OmittedField[]> {
    const doc = await this.collection.findOne({ _id: tenantId }, { projection: { schemaCheck: 1 } });
    return doc?.schemaCheck?.omittedFields ?? [];
  }

  /** Records one more optional field the tenant's Xledger lacks (found by a refused request). */
  async addOmittedField(tenantId: string, field: OmittedField, now = new Date()): Promise<void> {
    const check: TenantSchemaCheck = (await this.schemaCheck(tenantId)) ?? {
      checkedAt: now.toISOString(),
      outcome: 'not_verified',
      note: null,
      warnings: [],
    };
    const omitted = check.omittedFields ?? [];
    if (omitted.some((o) => o.stream === field.stream && o.field === field.field)) return;
    await this.collection.updateOne(
      { _id: tenantId },
      { $set: { schemaCheck: { ...check, omittedFields: [...omitted, field] } } },
    );
  }

  async list(): Promise<TenantSettings[]> {
    const docs = await this.collection.find({}, { projection: SETTINGS_ONLY }).sort({ _id: 1 }).toArray();
    return docs.map(({ _id, createdAt: _c, updatedAt: _u, ...settings }) => settings);
  }

  /** Only activities call this, by tenant id: the token never travels through Temporal. */
  async token(tenantId: string): Promise<string> {
    const doc = await this.collection.findOne({ _id: tenantId }, { projection: { tokenCiphertext: 1 } });
    if (!doc) throw new UnknownTenantError(tenantId);
    return this.cipher.decrypt(doc.tokenCiphertext, tenantId);
  }

  /**
   * A changed secret keeps the one it replaces signing for WEBHOOK_SECRET_OVERLAP_MS; the same
   * secret again leaves a rotation under way as it is. A stored secret no key decrypts any more
   * has nothing to overlap with.
   */
  private async secretRotation(
    tenantId: string,
    secret: string,
    now: Date,
  ): Promise<
    Partial<Pick<TenantDocument, 'webhookPreviousSecretCiphertext' | 'webhookPreviousSecretUntil'>>
  > {
    const doc = await this.collection.findOne(
      { _id: tenantId },
      { projection: { webhookSecretCiphertext: 1 } },
    );
    const stored = doc?.webhookSecretCiphertext;
    if (!stored) return {};
    let previous: string;
    try {
      previous = this.cipher.decrypt(
        stored,
        tenantSecretBinding(tenantId, 'webhook'),
        `webhook secret of tenant ${tenantId}`,
      );
    } catch {
      return {};
    }
    if (previous === secret) return {};
    return {
      webhookPreviousSecretCiphertext: stored,
      webhookPreviousSecretUntil: new Date(now.getTime() + WEBHOOK_SECRET_OVERLAP_MS),
    };
  }

  /**
   * The tenant's own webhook with its secret (and, during a rotation, the replaced one), or
   * null: only the delivery activity calls this.
   */
  async webhook(
    tenantId: string,
    now = new Date(),
  ): Promise<{ url: string; secret: string; previousSecrets: string[] } | null> {
    const doc = await this.collection.findOne(
      { _id: tenantId },
      {
        projection: {
          webhook: 1,
          webhookSecretCiphertext: 1,
          webhookPreviousSecretCiphertext: 1,
          webhookPreviousSecretUntil: 1,
        },
      },
    );
    if (!doc) throw new UnknownTenantError(tenantId);
    if (!doc.webhook || !doc.webhookSecretCiphertext) return null;
    const decrypt = (ciphertext: string) =>
      this.cipher.decrypt(
        ciphertext,
        tenantSecretBinding(tenantId, 'webhook'),
        `webhook secret of tenant ${tenantId}`,
      );
    const overlapping =
      doc.webhookPreviousSecretCiphertext &&
      doc.webhookPreviousSecretUntil &&
      doc.webhookPreviousSecretUntil.getTime() > now.getTime();
    return {
      url: doc.webhook.url,
      secret: decrypt(doc.webhookSecretCiphertext),
      previousSecrets: overlapping ? [decrypt(doc.webhookPreviousSecretCiphertext!)] : [],
    };
  }

  /** Turns delivery to `url` off for the tenant (it answered 410 Gone) until its next upsert. */
  async disableWebhook(tenantId: string, disabled: WebhookDisabled): Promise<void> {
    await this.collection.updateOne({ _id: tenantId }, { $set: { webhookDisabled: disabled } });
  }

  /** The endpoint delivery is off for, if any. */
  async webhookDisabled(tenantId: string): Promise<WebhookDisabled | null> {
    const doc = await this.collection.findOne({ _id: tenantId }, { projection: { webhookDisabled: 1 } });
    return doc?.webhookDisabled ?? null;
  }

  async remove(tenantId: string): Promise<boolean> {
    const result = await this.collection.deleteOne({ _id: tenantId });
    return result.deletedCount === 1;
  }

  settingsOf(config: TenantConfig): TenantSettings {
    const { webhook, ...rest } = config;
    return {
      ...rest,
      xledger: { endpoint: config.xledger.endpoint ?? this.defaultEndpoint },
      ...(webhook ? { webhook: { url: webhook.url } } : {}),
    };
  }
}
