import type { Db } from 'mongodb';
import type { OmittedField } from '../datatypes/optional-fields';
import { XledgerSyncError } from '../errors';
import type { TenantConfig, TenantSettings } from '../domain/tenant';
import type { EventType } from '../domain/event-catalogue';
import { collections } from './collections';
import {
  encryptedTenantFields,
  SETTINGS_ONLY,
  settingsOnly,
  uncheckedSchema,
  WEBHOOK_SECRET_OVERLAP_MS,
  type EncryptedTenantField,
  type TenantRecord,
  type TenantSchemaCheck,
  type WebhookDisabled,
} from './tenant-record';
import { isDuplicateKey, VersionedRegister, type Version } from './versioned';
import { tenantSecretBinding, type SecretCipher } from './token-cipher';

/** The `tenants` collection: each tenant's latest record under its id (see TenantStore). */
type TenantView = TenantRecord & { _id: string };

/** A version of a tenant's register: its record, or null, a tombstone: the tenant was removed. */
type TenantVersion = TenantRecord | null;

export class UnknownTenantError extends XledgerSyncError {
  override name = 'UnknownTenantError';
  constructor(readonly tenantId: string) {
    super(`Unknown tenant "${tenantId}"`);
  }
}

/**
 * Tenants with their token and webhook secret encrypted at rest; reads never return either.
 *
 * Several writers change one tenant: an operator's upsert, a key rotation, a worker recording
 * what a schema re-check or a refused request found. On FerretDB every update is read, change,
 * write back of the whole document, so two of them at once lose one's change: an upsert's new
 * token undone by a rotation that read the old one (10 in 200 races, test/store/tenant-writers.test.ts).
 * So every change is a version of a register (store/versioned.ts, `tenant_versions`): the writer
 * decides from the latest version and inserts the next; of two at once one insert wins and the
 * other decides again from it. The `tenants` collection is the view readers use, by `_id`: after
 * each change its writer copies the latest version there until the copy it wrote is still the
 * latest, so the view ends as the register says. A tenant stored before registers existed is
 * read from the view, and its first change starts the register from it. A removal is a version
 * too, a tombstone (see remove).
 */
export class TenantStore {
  constructor(
    private readonly db: Db,
    private readonly cipher: SecretCipher,
    private readonly defaultEndpoint: string,
  ) {}

  private get view() {
    return this.db.collection<TenantView>(collections.tenants);
  }

  private register(tenantId: string) {
    return new VersionedRegister<TenantVersion>(this.db, collections.tenantVersions, tenantId, tenantId);
  }

  /**
   * Changes the tenant's record as `decide` says (undefined: leave it; null: remove it), deciding
   * again if another writer changed it first; then brings the view up to date. `decide` gets
   * null for a tenant removed (a tombstone) or never stored.
   */
  private async change(
    tenantId: string,
    decide: (current: TenantRecord | null) => TenantVersion | undefined,
    { creates = false } = {},
  ): Promise<{ version: Version<TenantVersion> | null; wrote: boolean }> {
    const register = this.register(tenantId);
    // A tenant stored before registers existed: its first change starts from its view. Only
    // when the register is still empty: a tombstone a removal wrote meanwhile is no tenant.
    const base = (await register.latest()) ? null : await this.viewRecord(tenantId);
    const result = await register.change((current) => decide(current ? current.value : base));
    if (result.version && result.wrote) await this.copyToView(tenantId, result.version, creates);
    return result;
  }

  /**
   * Copies `version` to the view (a tombstone: deletes it), then whatever version followed it,
   * until the one copied is still the latest: whichever writer copies last, the view ends as the
   * register says. Only a save (`creates`) creates the view with its own version: a worker whose
   * version a removal followed leaves the tenant removed. A writer that deleted the view creates
   * it again with a version that followed (a save after the removal, which may have copied
   * itself before that delete). Stops when nothing newer can be read, so it never loops.
   */
  private async copyToView(tenantId: string, version: Version<TenantVersion>, creates: boolean) {
    const register = this.register(tenantId);
    let upsert = creates;
    for (let latest = version; ;) {
      if (latest.value) {
        await this.replaceView(tenantId, latest.value, upsert);
      } else {
        await this.view.deleteOne({ _id: tenantId });
        upsert = true;
      }
      if (await register.isLatest(latest.n)) return;
      const next = await register.latest();
      // A successor that reads as no newer version: one a removal left before removals wrote
      // tombstones (no versions below it, no head). Nothing newer to copy.
      if (!next || next.n <= latest.n) return;
      latest = next;
    }
  }

  private async replaceView(tenantId: string, record: TenantRecord, upsert: boolean): Promise<void> {
    const doc = { _id: tenantId, ...record };
    try {
      await this.view.replaceOne({ _id: tenantId }, doc, { upsert });
    } catch (error) {
      // Two writers creating the view at once: the other's insert came first; replace it.
      if (!upsert || !isDuplicateKey(error)) throw error;
      await this.view.replaceOne({ _id: tenantId }, doc);
    }
  }

  async save(
    config: TenantConfig,
    now = new Date(),
    schemaCheck?: TenantSchemaCheck,
  ): Promise<TenantSettings> {
    const settings = this.settingsOf(config);
    // An upsert is the whole config: a webhook left out is dropped, with its secret.
    const secrets = {
      tokenCiphertext: this.cipher.encrypt(config.xledger.token, config.tenantId),
      ...(config.webhook
        ? {
            webhookSecretCiphertext: this.cipher.encrypt(
              config.webhook.secret,
              tenantSecretBinding(config.tenantId, 'webhook'),
            ),
          }
        : {}),
    };
    await this.change(
      config.tenantId,
      (current) => {
        const check = schemaCheck ?? current?.schemaCheck;
        // Any upsert turns delivery to a disabled (410 Gone) endpoint back on: it is not carried.
        return {
          ...settings,
          ...secrets,
          ...(config.webhook
            ? this.secretRotation(config.tenantId, config.webhook.secret, current, now)
            : {}),
          ...(check ? { schemaCheck: check } : {}),
          createdAt: current?.createdAt ?? now,
          updatedAt: now,
        };
      },
      { creates: true },
    );
    return settings;
  }

  /**
   * A changed secret keeps the one it replaces signing for WEBHOOK_SECRET_OVERLAP_MS; the same
   * secret again leaves a rotation under way as it is. A stored secret no key decrypts any more
   * has nothing to overlap with.
   */
  private secretRotation(
    tenantId: string,
    secret: string,
    current: TenantRecord | null,
    now: Date,
  ): Pick<TenantRecord, 'webhookPreviousSecretCiphertext' | 'webhookPreviousSecretUntil'> {
    const stored = current?.webhookSecretCiphertext;
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
    if (previous === secret) {
      const { webhookPreviousSecretCiphertext, webhookPreviousSecretUntil } = current;
      return webhookPreviousSecretCiphertext
        ? { webhookPreviousSecretCiphertext, webhookPreviousSecretUntil }
        : {};
    }
    return {
      webhookPreviousSecretCiphertext: stored,
      webhookPreviousSecretUntil: new Date(now.getTime() + WEBHOOK_SECRET_OVERLAP_MS),
    };
  }

  /** The tenant's record as readers see it, by `_id`. */
  private async read(tenantId: string): Promise<TenantRecord> {
    const record = await this.viewRecord(tenantId);
    if (!record) throw new UnknownTenantError(tenantId);
    return record;
  }

  private async viewRecord(tenantId: string): Promise<TenantRecord | null> {
    const doc = await this.view.findOne({ _id: tenantId });
    if (!doc) return null;
    const { _id, ...record } = doc;
    return record;
  }

  async get(tenantId: string): Promise<TenantSettings> {
    return settingsOnly(await this.read(tenantId));
  }

  /** What the live schema check found when the tenant was last saved; null before any. */
  async schemaCheck(tenantId: string): Promise<TenantSchemaCheck | null> {
    return (await this.read(tenantId)).schemaCheck ?? null;
  }

  /** The optional fields the tenant's Xledger lacked at its last schema check (none before any). */
  async omittedFields(tenantId: string): Promise<OmittedField[]> {
    const doc = await this.view.findOne({ _id: tenantId }, { projection: { schemaCheck: 1 } });
    return doc?.schemaCheck?.omittedFields ?? [];
  }

  /** Whether the tenant's Xledger offered `rateLimit` at its last schema check. */
  async readsRateLimit(tenantId: string): Promise<boolean> {
    const doc = await this.view.findOne({ _id: tenantId }, { projection: { 'schemaCheck.rateLimit': 1 } });
    return doc?.schemaCheck?.rateLimit === true;
  }

  /**
   * What a full pass found when it checked the tenant's live schema again: the optional fields
   * it lacks now (replacing the list: a field Xledger has again is read again) and whether it
   * offers `rateLimit`. The rest of the stored check (outcome, warnings) stays as the upsert left it.
   * `found` null: the re-check could not read the schema; only its time is recorded.
   */
  async recordRecheck(
    tenantId: string,
    found: { omittedFields: OmittedField[]; rateLimit: boolean } | null,
    now = new Date(),
  ): Promise<void> {
    await this.change(tenantId, (current) =>
      current
        ? {
            ...current,
            schemaCheck: {
              ...(current.schemaCheck ?? uncheckedSchema(now)),
              ...(found ? { omittedFields: found.omittedFields, rateLimit: found.rateLimit } : {}),
              recheckedAt: now.toISOString(),
            },
          }
        : undefined,
    );
  }

  /** Records one more optional field the tenant's Xledger lacks (found by a refused request). */
  async addOmittedField(tenantId: string, field: OmittedField, now = new Date()): Promise<void> {
    await this.change(tenantId, (current) => {
      if (!current) return undefined;
      const check = current.schemaCheck ?? uncheckedSchema(now);
      const omitted = check.omittedFields ?? [];
      if (omitted.some((o) => o.stream === field.stream && o.field === field.field)) return undefined;
      return { ...current, schemaCheck: { ...check, omittedFields: [...omitted, field] } };
    });
  }

  async list(): Promise<TenantSettings[]> {
    const docs = await this.view.find({}, { projection: SETTINGS_ONLY }).sort({ _id: 1 }).toArray();
    return docs.map(({ _id, ...record }) => settingsOnly(record as TenantRecord));
  }

  /** Only activities call this, by tenant id: the token never travels through Temporal. */
  async token(tenantId: string): Promise<string> {
    const doc = await this.view.findOne({ _id: tenantId }, { projection: { tokenCiphertext: 1 } });
    if (!doc) throw new UnknownTenantError(tenantId);
    return this.cipher.decrypt(doc.tokenCiphertext, tenantId);
  }

  /**
   * The tenant's own webhook with its secret (and, during a rotation, the replaced one), or
   * null: only the delivery activity calls this.
   */
  async webhook(
    tenantId: string,
    now = new Date(),
  ): Promise<{
    url: string;
    secret: string;
    previousSecrets: string[];
    eventTypes?: EventType[];
  } | null> {
    const doc = await this.view.findOne(
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
      ...(doc.webhook.eventTypes ? { eventTypes: doc.webhook.eventTypes } : {}),
    };
  }

  /** Turns delivery to `url` off for the tenant (it answered 410 Gone) until its next upsert. */
  async disableWebhook(tenantId: string, disabled: WebhookDisabled): Promise<void> {
    await this.change(tenantId, (current) =>
      current ? { ...current, webhookDisabled: disabled } : undefined,
    );
  }

  /** The endpoint delivery is off for, if any. */
  async webhookDisabled(tenantId: string): Promise<WebhookDisabled | null> {
    const doc = await this.view.findOne({ _id: tenantId }, { projection: { webhookDisabled: 1 } });
    return doc?.webhookDisabled ?? null;
  }

  /**
   * Re-encrypts the tenant's secrets: `reencrypt` gets the stored ciphertexts and returns those
   * to replace. A change of the register like any other, so an upsert at the same moment is never
   * undone: `reencrypt` is asked again with what the upsert stored.
   */
  async reencrypt(
    tenantId: string,
    reencrypt: (
      stored: Partial<Record<EncryptedTenantField, string>>,
    ) => Partial<Record<EncryptedTenantField, string>>,
  ): Promise<void> {
    await this.change(tenantId, (current) => {
      if (!current) return undefined;
      const stored: Partial<Record<EncryptedTenantField, string>> = {};
      for (const field of encryptedTenantFields) {
        const ciphertext = current[field];
        if (typeof ciphertext === 'string') stored[field] = ciphertext;
      }
      const changed = reencrypt(stored);
      return Object.keys(changed).length > 0 ? { ...current, ...changed } : undefined;
    });
  }

  /** Ids of every tenant, from the view. */
  async ids(): Promise<string[]> {
    return (
      await this.view
        .find({}, { projection: { _id: 1 } })
        .sort({ _id: 1 })
        .toArray()
    ).map((d) => d._id);
  }

  /**
   * Removes the tenant: true when this call removed it, false when it was not there. The removal
   * is a change like any other, a tombstone as the register's next version: every writer that
   * read an older version loses its insert to it and decides again from "no tenant", so a save
   * starts the tenant afresh and any other writer leaves it removed. The tombstone stays (it
   * holds nothing): deleting the register instead let a racing writer's version outlive the
   * removal, alone, where a writer looped forever looking for the latest and a tenant saved
   * again under the id met the removed one's record (test/store/tenant-removal.test.ts).
   */
  async remove(tenantId: string): Promise<boolean> {
    const { version, wrote } = await this.change(tenantId, (current) => (current ? null : undefined));
    // Never stored: nothing to remove (a record left is not possible: decide removes any).
    if (!version || version.value !== null) return false;
    // Removed before: the view is deleted again, in case that removal stopped before deleting it.
    if (!wrote) await this.copyToView(tenantId, version, false);
    // The removed tenant's secrets and findings go; the tombstone keeps the register's place.
    await this.register(tenantId).clearBelow(version.n, null);
    return wrote;
  }

  settingsOf(config: TenantConfig): TenantSettings {
    const { webhook, ...rest } = config;
    return {
      ...rest,
      xledger: { endpoint: config.xledger.endpoint ?? this.defaultEndpoint },
      ...(webhook
        ? { webhook: { url: webhook.url, ...(webhook.eventTypes ? { eventTypes: webhook.eventTypes } : {}) } }
        : {}),
    };
  }
}
