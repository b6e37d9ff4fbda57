/**
 * The master data types by name, in the order they are scheduled and shown. Each is defined in
 * src/datatypes/ (the registry lists them in this order; a unit test holds the two equal).
 */
export const DATA_TYPES = [
  'suppliers',
  'accounts',
  'dimensions',
  'currencies',
  'vatCodes',
  'projects',
  'fixedAssets',
] as const;

/** A master data type's name, as SEMINE passes it (`changes`, `forceResync`, `dataTypes`). */
export type DataType = (typeof DATA_TYPES)[number];

/** The same names, as plain strings for code that looks a name up. */
export const masterDataTypeNames: readonly string[] = DATA_TYPES;

export const isDataType = (name: string): name is DataType => masterDataTypeNames.includes(name);

/** The scheduled job that posts a tenant's pending invoices. */
export const INVOICE_POSTING_JOB = 'invoices' as const;

/** The scheduled job of a tenant with push: registers its Xledger webhooks and watches their state. */
export const PUSH_WATCH_JOB = 'pushWatch' as const;

/**
 * What a tenant's schedules run (src/temporal/scheduled-jobs.ts): each master data type, and the posting
 * of invoices. A job's name keys the tenant's `intervalMinutes`, its schedule id and the
 * schedule's DataType search attribute.
 */
export const SCHEDULED_JOBS = [
  ...DATA_TYPES,
  INVOICE_POSTING_JOB,
  PUSH_WATCH_JOB,
] as const satisfies ReadonlyArray<DataType | typeof INVOICE_POSTING_JOB | typeof PUSH_WATCH_JOB>;
export const scheduledJobNames: readonly string[] = SCHEDULED_JOBS;
