import { z } from 'zod';
import { always, type DataTypeDefinition } from './datatype';
import { withOptionalFields } from './optional-fields';
import { defineStream } from './stream';
import { date, dbId, optional, ownedNode, wallClock } from './xledger-fields';

const objectKindNode = ownedNode.extend({
  name: optional(z.string()),
  modifiedAt: optional(wallClock),
});

export const objectKindsStream = defineStream({
  name: 'objectKinds',
  collection: 'object_kinds',
  rootField: 'objectKinds',
  // ownerDbId: no public source shows it on object kinds (A).
  ...withOptionalFields('dbId name modifiedAt', { ownerDbId: 'ownerDbId' }),
  node: objectKindNode,
  toDocument: ({ dbId: _id, ownerDbId: _owner, ...fields }) => fields,
  changeCursor: 'modifiedAt',
  objectStatus: false,
  scope: 'OBJECT_READ',
});

export const objectValueNode = ownedNode.extend({
  code: optional(z.string()),
  description: optional(z.string()),
  dateFrom: optional(date),
  dateTo: optional(date),
  objectKindDbId: optional(dbId),
  objectKind: optional(z.object({ dbId, name: optional(z.string()) })),
  posting: optional(z.boolean()),
  modifiedAt: optional(wallClock),
});

export const OBJECT_VALUE_SELECTION =
  'dbId code description dateFrom dateTo objectKindDbId objectKind { dbId name } posting ownerDbId modifiedAt';

export const objectValuesStream = defineStream({
  name: 'objectValues',
  collection: 'object_values',
  rootField: 'objectValues',
  selection: OBJECT_VALUE_SELECTION,
  node: objectValueNode,
  toDocument: ({ dbId: _id, ownerDbId: _owner, objectKind, ...fields }) => ({
    ...fields,
    objectKindName: objectKind?.name ?? null,
  }),
  changeCursor: 'modifiedAt',
  objectStatus: true,
  scope: 'OBJECT_READ',
});

export const dimensions = {
  name: 'dimensions',
  title: 'Dimensions (object kinds and values)',
  defaultIntervalMinutes: 60,
  streams: [objectKindsStream, objectValuesStream],
  enabledFor: always,
} satisfies DataTypeDefinition;
