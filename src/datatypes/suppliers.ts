import { z } from 'zod';
import { always, type DataTypeDefinition } from './datatype';
import { withOptionalFields } from './optional-fields';
import { defineStream } from './stream';
import { codeRef, date, dbId, optional, ownedNode, REF_SELECTION, wallClock } from './xledger-fields';

const glObjects = ['glObject1', 'glObject2', 'glObject3', 'glObject4', 'glObject5'] as const;

const supplierNode = ownedNode.extend({
  code: optional(z.string()),
  description: optional(z.string()),
  email: optional(z.string()),
  fromDate: optional(date),
  toDate: optional(date),
  modifiedAt: optional(wallClock),
  company: optional(z.object({ dbId, companyNumber: optional(z.string()) })),
  glObject1: optional(codeRef),
  glObject2: optional(codeRef),
  glObject3: optional(codeRef),
  glObject4: optional(codeRef),
  glObject5: optional(codeRef),
});

export const suppliersStream = defineStream({
  name: 'suppliers',
  collection: 'suppliers',
  rootField: 'suppliers',
  // company and glObject1..5's subselections: one client each (M); a schema without them still syncs.
  ...withOptionalFields('dbId code description email fromDate toDate modifiedAt ownerDbId', {
    company: 'company { dbId companyNumber }',
    ...Object.fromEntries(glObjects.map((field) => [field, `${field} { ${REF_SELECTION} }`])),
  }),
  node: supplierNode,
  toDocument: (node) => ({
    code: node.code,
    description: node.description,
    email: node.email,
    fromDate: node.fromDate,
    toDate: node.toDate,
    modifiedAt: node.modifiedAt,
    company: node.company,
    ...Object.fromEntries(glObjects.map((field) => [field, node[field]])),
  }),
  changeCursor: 'modifiedAt',
  // supplier_deltas (M): incremental passes notice deletions too.
  deltas: 'supplier_deltas',
  objectStatus: true,
  scope: 'SUPPLIER_READ',
});

export const suppliers = {
  name: 'suppliers',
  title: 'Suppliers',
  defaultIntervalMinutes: 30,
  streams: [suppliersStream],
  enabledFor: always,
} satisfies DataTypeDefinition;
