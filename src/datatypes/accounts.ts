import { z } from 'zod';
import { always, type DataTypeDefinition } from './datatype';
import { defineStream } from './stream';
import { dbId, optional, ownedNode, wallClock } from './xledger-fields';

const accountNode = ownedNode.extend({
  code: optional(z.string()),
  description: optional(z.string()),
  modifiedAt: optional(wallClock),
  posting: optional(z.boolean()),
  balanceSheet: optional(z.boolean()),
  vat: optional(z.string()),
  chartOfAccountDbId: optional(dbId),
  accountGroupDbId: optional(dbId),
  ledgerType: optional(z.string()),
});

export const accountsStream = defineStream({
  name: 'accounts',
  collection: 'accounts',
  rootField: 'accounts',
  filterType: 'Account_Filter',
  selection:
    'dbId code description modifiedAt ownerDbId posting balanceSheet vat chartOfAccountDbId accountGroupDbId ledgerType',
  node: accountNode,
  toDocument: ({ dbId: _id, ownerDbId: _owner, ...fields }) => fields,
  changeCursor: 'modifiedAt',
  objectStatus: true,
  scope: 'ACCOUNT_READ',
});

export const accounts = {
  name: 'accounts',
  title: 'Chart of accounts',
  defaultIntervalMinutes: 24 * 60,
  streams: [accountsStream],
  enabledFor: always,
} satisfies DataTypeDefinition;
