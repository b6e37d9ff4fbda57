import { z } from 'zod';
import type { DataTypeDefinition } from './datatype';
import { withOptionalFields } from './optional-fields';
import { defineStream } from './stream';
import { codeRef, date, dbId, decimal, namedRef, optional, ownedNode } from './xledger-fields';

const assetNode = ownedNode.extend({
  code: optional(z.string()),
  description: optional(z.string()),
  datePurchased: optional(date),
  dateFrom: optional(date),
  dateTo: optional(date),
  balance: optional(decimal),
  /** Only the dbId is shown by any source (grasp-labs' currency_dbId); its code is in `currencies`. */
  currency: optional(z.object({ dbId })),
  assetGroup: optional(codeRef),
  /** An object { dbId name } (M), stored as Xledger sends it. */
  assetStatus: optional(namedRef),
});

/** Xledger has no modifiedAt filter on assets: each pass reads them whole. */
export const assetsStream = defineStream({
  name: 'assets',
  collection: 'fixed_assets',
  rootField: 'assets',
  // assetGroup's subselection and currency { dbId } have no public source beyond their names (A).
  ...withOptionalFields(
    'dbId code description datePurchased dateFrom dateTo balance assetStatus { dbId name } ownerDbId',
    { currency: 'currency { dbId }', assetGroup: 'assetGroup { dbId code description }' },
  ),
  node: assetNode,
  toDocument: ({ dbId: _id, ownerDbId: _owner, ...fields }) => fields,
  changeCursor: null,
  objectStatus: true,
  scope: 'ASSET_READ',
});

export const fixedAssets = {
  name: 'fixedAssets',
  title: 'Fixed assets',
  defaultIntervalMinutes: 6 * 60,
  streams: [assetsStream],
  enabledFor: (options) => options.fixedAssets,
} satisfies DataTypeDefinition;
