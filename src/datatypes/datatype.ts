import type { StreamDefinition } from './stream';

/** What a tenant may switch on or off; decides which data types it syncs. */
export interface TenantSyncOptions {
  fixedAssets: boolean;
  projectManagers: boolean;
}

/** Derivations run in MongoDB after a data type's streams are stored (no Xledger requests). */
export type LinkName = 'projectManagers' | 'taxPercents';

/**
 * A data type as SEMINE and operators know it: the unit of scheduling, of resync and of the
 * run summary. It reads one or more Xledger streams, in order.
 */
export interface DataTypeDefinition {
  name: string;
  title: string;
  defaultIntervalMinutes: number;
  streams: StreamDefinition[];
  link?: LinkName;
  enabledFor(options: TenantSyncOptions): boolean;
}

export const always = (): boolean => true;
