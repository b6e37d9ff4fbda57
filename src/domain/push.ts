/**
 * Push from Xledger (README, "Push from Xledger"): which of Xledger's webhook subscriptions
 * cover which data type, the states a webhook reports, and how far a pushed type's polling
 * interval stretches. Pure: the registration (activities/push-*.ts), the receiver (push/) and
 * the schedules (temporal/schedules.ts) share it.
 */

/** The states `webhook(dbId:) { state { code } }` reports (H: Xledger's Webhooks-CSharp sample). */
export const WEBHOOK_STATES = ['RUNNING', 'PAUSED', 'RECOVERING', 'FAULTED'] as const;
export type WebhookState = (typeof WEBHOOK_STATES)[number];

/**
 * A webhook Xledger still delivers through: RECOVERING is Xledger retrying a failed delivery
 * (A: the sample treats it as started, like RUNNING).
 */
export const isHealthyWebhookState = (state: string | null): boolean =>
  state === 'RUNNING' || state === 'RECOVERING';

/**
 * The subscription fields (of Xledger's `Subscription` type) whose deliveries tell a data type's
 * records changed: every one of them must be registered and healthy before the type's polling
 * stretches, because a change through one not registered (e.g. an employee's email, for
 * projects) would otherwise wait for the stretched interval. `projectsMutated` is the one public
 * field (H); the others are names by the same pattern (A): a tenant's live schema decides which
 * exist (its introspection is recorded at onboarding), and a type with a missing one stays polled.
 */
export const SUBSCRIPTIONS_OF_DATA_TYPE: Readonly<Record<string, readonly string[]>> = {
  suppliers: ['suppliersMutated'],
  accounts: ['accountsMutated'],
  dimensions: ['objectKindsMutated', 'objectValuesMutated'],
  currencies: ['currenciesMutated'],
  vatCodes: ['objectValuesMutated', 'taxTableSetupsMutated'],
  projects: ['projectsMutated', 'employeesMutated'],
  fixedAssets: ['assetsMutated'],
};

/** The data types (of those given) a delivery of this subscription field triggers. */
export function dataTypesOfSubscription(field: string, enabled: readonly string[]): string[] {
  return enabled.filter((type) => SUBSCRIPTIONS_OF_DATA_TYPE[type]?.includes(field));
}

/** The subscription fields worth registering for these data types, of those the live schema offers. */
export function subscriptionsFor(enabled: readonly string[], offered: readonly string[]): string[] {
  const wanted = new Set(enabled.flatMap((type) => SUBSCRIPTIONS_OF_DATA_TYPE[type] ?? []));
  return offered.filter((field) => wanted.has(field));
}

/** The data types pushed now: every subscription they need is registered and healthy. */
export function pushedDataTypes(enabled: readonly string[], healthy: ReadonlySet<string>): string[] {
  return enabled.filter((type) => {
    const needed = SUBSCRIPTIONS_OF_DATA_TYPE[type] ?? [];
    return needed.length > 0 && needed.every((field) => healthy.has(field));
  });
}

/**
 * A pushed type's polling interval: `factor` times its own, but never past the full-pass
 * interval (so the daily full pass, which also finds deletions Xledger may not deliver, still
 * runs on time) nor shorter than its own.
 */
export function stretchedIntervalMinutes(
  intervalMinutes: number,
  factor: number,
  fullPassIntervalHours: number,
): number {
  return Math.max(
    intervalMinutes,
    Math.min(Math.round(intervalMinutes * factor), fullPassIntervalHours * 60),
  );
}
