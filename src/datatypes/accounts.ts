import { z } from 'zod';
import { always, type DataTypeDefinition } from './datatype';
import { withOptionalFields } from './optional-fields';
import { defineStream } from './stream';
import { dbId, namedRef, optional, ownedNode, wallClock } from './xledger-fields';

const accountNode = ownedNode.extend({
  code: optional(z.string()),
  description: optional(z.string()),
  modifiedAt: optional(wallClock),
  posting: optional(z.boolean()),
  balanceSheet: optional(z.boolean()),
  /** Whether the account is VAT-relevant (a Boolean, M). */
  vat: optional(z.boolean()),
  chartOfAccountDbId: optional(dbId),
  chartOfAccount: optional(namedRef),
  accountGroupDbId: optional(dbId),
  accountGroup: optional(
    z.object({
      dbId: dbId.nullish().transform((value) => value ?? null),
      code: optional(z.string()),
    }),
  ),
  /** An object { dbId name } (M/H), stored as Xledger sends it. */
  ledgerType: optional(namedRef),
});

export const accountsStream = defineStream({
  name: 'accounts',
  collection: 'accounts',
  rootField: 'accounts',
  // The objects beside chartOfAccountDbId and accountGroupDbId: one client (M).
  ...withOptionalFields(
    'dbId code description modifiedAt ownerDbId posting balanceSheet vat chartOfAccountDbId accountGroupDbId ledgerType { dbId name }',
    { chartOfAccount: 'chartOfAccount { dbId name }', accountGroup: 'accountGroup { dbId code }' },
  ),
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
