import type { DataType } from '../domain/data-types';
import type { Visibility } from '../domain/records';
import type { accounts } from './accounts';
import type { currencies } from './currencies';
import type { dimensions } from './dimensions';
import type { fixedAssets } from './fixed-assets';
import type { projects } from './projects';
import type { TypedStream } from './stream';
import type { suppliers } from './suppliers';
import type { vatCodes } from './vat-codes';

/**
 * The synced records as SEMINE receives them (the change feed): JSON-safe — times as ISO strings,
 * no `_id` or `contentHash` — and typed per stream from what each stream's toDocument makes of
 * its zod node schema, so the public types follow the schemas the sync validates with.
 */

/** What every record carries besides its stream's fields. */
export interface SyncedRecordBase {
  tenantId: string;
  /** Xledger's id of the record. */
  dbId: number;
  /** The Xledger entity the record belongs to: the Entity Owner or one of its clients. */
  entityDbId: number;
  /** owner: shared with every client of the owner; client: visible to that client only. */
  visibility: Visibility;
  /** ISO time of its last write. */
  syncedAt: string;
  /** ISO time a complete pass no longer found it in Xledger; null while it exists. */
  deletedAt: string | null;
  /** Its place in the change feed. */
  changeSeq: number;
}

/** A project manager's email as the projectManagers link resolved it (store/links.ts). */
export type ManagerResolution = 'resolved' | 'no_email' | 'unknown_employee' | 'no_manager';

/** Fields a data type's link adds after its streams are stored; absent until it first ran. */
interface LinkedFields {
  projects: { projectManagerEmail?: string | null; projectManagerStatus?: ManagerResolution };
  taxRules: { percent?: string | null };
}

type NameOf<S> = S extends TypedStream<infer N, unknown> ? N : never;
type FieldsOf<S> = S extends TypedStream<string, infer F> ? F : never;
type LinkedOf<N> = N extends keyof LinkedFields ? LinkedFields[N] : unknown;

/** One stream's record: the common fields and the stream's own. */
export type StreamRecord<S> = SyncedRecordBase & FieldsOf<S> & LinkedOf<NameOf<S>>;

/** Each data type's streams, as the registry defines them (held equal to DataType below). */
interface StreamsByDataType {
  suppliers: (typeof suppliers)['streams'][number];
  accounts: (typeof accounts)['streams'][number];
  dimensions: (typeof dimensions)['streams'][number];
  currencies: (typeof currencies)['streams'][number];
  vatCodes: (typeof vatCodes)['streams'][number];
  projects: (typeof projects)['streams'][number];
  fixedAssets: (typeof fixedAssets)['streams'][number];
}
// A data type added to DataType but not here (or the reverse) fails to compile.
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const streamsCoverDataTypes: Exactly<keyof StreamsByDataType, DataType> = true;

type ChangeOf<S> = S extends unknown
  ? {
      /** The stream (and collection) the record belongs to: narrows `record`. */
      stream: NameOf<S>;
      collection: string;
      changeSeq: number;
      /** Set when Xledger no longer has it (soft delete): the record is kept, with `deletedAt`. */
      deleted: boolean;
      record: StreamRecord<S>;
    }
  : never;

/** A change of a data type's record, discriminated by `stream` where the data type has several. */
export type RecordChange<T extends DataType = DataType> = ChangeOf<StreamsByDataType[T]>;

/** A record of the data type (of any of its streams). */
export type DataTypeRecord<T extends DataType = DataType> = RecordChange<T>['record'];

/** The named record of each stream, for SEMINE's own mapping code. */
export type SupplierRecord = StreamRecord<StreamsByDataType['suppliers']>;
export type AccountRecord = StreamRecord<StreamsByDataType['accounts']>;
export type CurrencyRecord = StreamRecord<StreamsByDataType['currencies']>;
export type FixedAssetRecord = StreamRecord<StreamsByDataType['fixedAssets']>;
export type ObjectKindRecord = Extract<RecordChange<'dimensions'>, { stream: 'objectKinds' }>['record'];
export type ObjectValueRecord = Extract<RecordChange<'dimensions'>, { stream: 'objectValues' }>['record'];
export type VatCodeRecord = Extract<RecordChange<'vatCodes'>, { stream: 'taxRules' }>['record'];
export type TaxTableSetupRecord = Extract<RecordChange<'vatCodes'>, { stream: 'taxTableSetups' }>['record'];
export type EmployeeRecord = Extract<RecordChange<'projects'>, { stream: 'employees' }>['record'];
export type ProjectRecord = Extract<RecordChange<'projects'>, { stream: 'projects' }>['record'];
