/**
 * The master data types by name, in the order they are scheduled and shown. Each is defined in
 * src/datatypes/ (the registry lists them in this order; a unit test holds the two equal).
 */
export const masterDataTypeNames: readonly string[] = [
  'suppliers',
  'accounts',
  'dimensions',
  'currencies',
  'vatCodes',
  'projects',
  'fixedAssets',
];

/** The scheduled job that posts a tenant's pending invoices. */
export const INVOICE_POSTING_JOB = 'invoices';

/** The scheduled job of a tenant with push: registers its Xledger webhooks and watches their state. */
export const PUSH_WATCH_JOB = 'pushWatch';

/**
 * What a tenant's schedules run (src/temporal/scheduled-jobs.ts): each master data type, and the posting
 * of invoices. A job's name keys the tenant's `intervalMinutes`, its schedule id and the
 * schedule's DataType search attribute.
 */
export const scheduledJobNames: readonly string[] = [
  ...masterDataTypeNames,
  INVOICE_POSTING_JOB,
  PUSH_WATCH_JOB,
];
