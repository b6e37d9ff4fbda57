import type { OmittedField } from '../datatypes/optional-fields';
import type { TenantSettings } from '../domain/tenant';

/*
 * A tenant's record as stored (store/tenants.ts keeps it): its settings, its secrets encrypted,
 * what its schema checks found and the state of its webhook.
 */

/**
 * What the live schema check found when the tenant was last saved (src/catalogue/schema-check.ts):
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
  /**
   * The tenant's Xledger offers `rateLimit { remaining cost }` (src/xledger/rate-limit.ts): its
   * requests read the credit pool with their answers. Absent: not offered, or checked before this.
   */
  rateLimit?: boolean;
  /** When a full pass last checked the optional fields again (src/activities/schema-recheck.ts). */
  recheckedAt?: string;
  /**
   * The `<type>Mutated` fields the live schema's Subscription type offers (push registers those
   * its data types need). Absent in checks stored before push existed.
   */
  subscriptions?: string[];
}

/** The tenant as stored: its settings, its secrets encrypted, and what its schema checks found. */
export interface TenantRecord extends TenantSettings {
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

/** What reads leave out: the secrets, and what only the status shows. */
export const SETTINGS_ONLY = {
  tokenCiphertext: 0,
  webhookSecretCiphertext: 0,
  webhookPreviousSecretCiphertext: 0,
  webhookPreviousSecretUntil: 0,
  webhookDisabled: 0,
  schemaCheck: 0,
} as const;

/** A schema check for a tenant saved without one (tests, a store written before checks). */
export const uncheckedSchema = (now: Date): TenantSchemaCheck => ({
  checkedAt: now.toISOString(),
  outcome: 'not_verified',
  note: null,
  warnings: [],
});

/** The fields of a tenant's record that hold secrets (what a key rotation re-encrypts). */
export const encryptedTenantFields = [
  'tokenCiphertext',
  'webhookSecretCiphertext',
  'webhookPreviousSecretCiphertext',
] as const;
export type EncryptedTenantField = (typeof encryptedTenantFields)[number];

export function settingsOnly(record: TenantRecord): TenantSettings {
  const {
    tokenCiphertext: _t,
    webhookSecretCiphertext: _w,
    webhookPreviousSecretCiphertext: _p,
    webhookPreviousSecretUntil: _pu,
    webhookDisabled: _d,
    schemaCheck: _s,
    createdAt: _c,
    updatedAt: _u,
    ...settings
  } = record;
  return settings;
}
