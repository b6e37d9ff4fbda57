import { z } from 'zod';
import type { DataTypeDefinition } from './datatype';
import { defineStream } from './stream';
import { codeRef, date, optional, ownedNode } from './xledger-fields';

const assetNode = ownedNode.extend({
  code: optional(z.string()),
  description: optional(z.string()),
  datePurchased: optional(date),
  assetGroup: optional(codeRef),
  assetStatus: optional(z.string()),
});

/** Xledger has no modifiedAt filter on assets: each pass reads them whole. */
export const assetsStream = defineStream({
  name: 'assets',
  collection: 'fixed_assets',
  rootField: 'assets',
  filterType: 'Asset_Filter',
  selection: 'dbId code description datePurchased assetGroup { dbId code description } assetStatus ownerDbId',
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
