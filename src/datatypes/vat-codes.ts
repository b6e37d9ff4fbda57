import { always, type DataTypeDefinition } from './datatype';
import { objectValueNode, OBJECT_VALUE_SELECTION } from './dimensions';
import { defineStream } from './stream';
import { date, decimal, idRef, optional, ownedNode, REF_SELECTION, wallClock } from './xledger-fields';

/**
 * Xledger has no tax-code query: VAT codes are the object values of the object kind named
 * TAX_RULE (its dbId differs per installation), and their percentages live in taxTableSetups.
 */
export const TAX_RULE_KIND_NAME = 'TAX_RULE';

export const taxRulesStream = defineStream({
  name: 'taxRules',
  collection: 'vat_codes',
  rootField: 'objectValues',
  selection: OBJECT_VALUE_SELECTION,
  node: objectValueNode,
  toDocument: (node) => ({
    code: node.code,
    description: node.description,
    dateFrom: node.dateFrom,
    dateTo: node.dateTo,
    objectKindDbId: node.objectKindDbId,
    modifiedAt: node.modifiedAt,
  }),
  changeCursor: 'modifiedAt',
  objectStatus: true,
  scope: 'OBJECT_READ',
  lookup: { filterField: 'objectKindDbId_in', objectKindName: TAX_RULE_KIND_NAME },
});

const taxTableSetupNode = ownedNode.extend({
  taxPercent: optional(decimal),
  account: optional(idRef),
  objectValue: optional(idRef),
  /** Validity is dateFrom/dateTo (M); Xledger has no fromDate here. */
  dateFrom: optional(date),
  dateTo: optional(date),
  modifiedAt: optional(wallClock),
});

export const taxTableSetupsStream = defineStream({
  name: 'taxTableSetups',
  collection: 'tax_table_setups',
  rootField: 'taxTableSetups',
  selection: `dbId taxPercent account { ${REF_SELECTION} } objectValue { ${REF_SELECTION} } dateFrom dateTo modifiedAt ownerDbId`,
  node: taxTableSetupNode,
  toDocument: ({ dbId: _id, ownerDbId: _owner, ...fields }) => fields,
  changeCursor: 'modifiedAt',
  objectStatus: false,
  scope: 'OBJECT_READ',
});

export const vatCodes = {
  name: 'vatCodes',
  title: 'VAT codes (TAX_RULE values with percentages)',
  defaultIntervalMinutes: 24 * 60,
  streams: [taxRulesStream, taxTableSetupsStream],
  link: 'taxPercents',
  enabledFor: always,
} satisfies DataTypeDefinition;
