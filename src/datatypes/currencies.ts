import { z } from 'zod';
import { always, type DataTypeDefinition } from './datatype';
import { withOptionalFields } from './optional-fields';
import { defineStream } from './stream';
import { optional, ownedNode } from './xledger-fields';

const currencyNode = ownedNode.extend({
  code: optional(z.string()),
  description: optional(z.string()),
});

/** Xledger has no modifiedAt filter on currencies: each pass reads them whole (they are few). */
export const currenciesStream = defineStream({
  name: 'currencies',
  collection: 'currencies',
  rootField: 'currencies',
  // ownerDbId: no public source shows it on currencies (A).
  ...withOptionalFields('dbId code description', { ownerDbId: 'ownerDbId' }),
  node: currencyNode,
  toDocument: ({ code, description }) => ({ code, description }),
  changeCursor: null,
  objectStatus: false,
  scope: 'CURRENCY_READ',
});

export const currencies = {
  name: 'currencies',
  title: 'Currencies',
  defaultIntervalMinutes: 24 * 60,
  streams: [currenciesStream],
  enabledFor: always,
} satisfies DataTypeDefinition;
