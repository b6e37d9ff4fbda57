import type { Db } from 'mongodb';
import { XledgerSyncError } from '../errors';
import type { TenantConfig, TenantSettings } from '../tenant';
import { collections } from './collections';
import type { TokenCipher } from './token-cipher';

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
}

interface TenantDocument extends TenantSettings {
  _id: string;
  tokenCiphertext: string;
  schemaCheck?: TenantSchemaCheck;
  createdAt: Date;
  updatedAt: Date;
}

export class UnknownTenantError extends XledgerSyncError {
  override name = 'UnknownTenantError';
  constructor(readonly tenantId: string) {
    super(`Unknown tenant "${tenantId}"`);
  }
}

/** Tenants with their token encrypted at rest; reads never return the token. */
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
    await this.collection.updateOne(
      { _id: config.tenantId },
      {
        $set: {
          ...settings,
          tokenCiphertext: this.cipher.encrypt(config.xledger.token, config.tenantId),
          ...(schemaCheck ? { schemaCheck } : {}),
          updatedAt: now,
        },
        $setOnInsert: { createdAt: now },
      },
      { upsert: true },
    );
    return settings;
  }

  async get(tenantId: string): Promise<TenantSettings> {
    const doc = await this.collection.findOne(
      { _id: tenantId },
      { projection: { tokenCiphertext: 0, schemaCheck: 0 } },
    );
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

  async list(): Promise<TenantSettings[]> {
    const docs = await this.collection
      .find({}, { projection: { tokenCiphertext: 0, schemaCheck: 0 } })
      .sort({ _id: 1 })
      .toArray();
    return docs.map(({ _id, createdAt: _c, updatedAt: _u, ...settings }) => settings);
  }

  /** Only activities call this, by tenant id: the token never travels through Temporal. */
  async token(tenantId: string): Promise<string> {
    const doc = await this.collection.findOne({ _id: tenantId }, { projection: { tokenCiphertext: 1 } });
    if (!doc) throw new UnknownTenantError(tenantId);
    return this.cipher.decrypt(doc.tokenCiphertext, tenantId);
  }

  async remove(tenantId: string): Promise<boolean> {
    const result = await this.collection.deleteOne({ _id: tenantId });
    return result.deletedCount === 1;
  }

  settingsOf(config: TenantConfig): TenantSettings {
    return {
      ...config,
      xledger: { endpoint: config.xledger.endpoint ?? this.defaultEndpoint },
    };
  }
}
