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
  filterType: 'ObjectValue_Filter',
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
  lookupFilter: async (client) => {
    const data = await client.request<{ objectKinds: { edges: Array<{ node: { dbId: number | string } }> } }>(
      `query taxRuleKinds($name: String) { objectKinds(first: 100, filter: { name: $name }) { edges { node { dbId } } } }`,
      { name: TAX_RULE_KIND_NAME },
    );
    return { objectKindDbId_in: data.objectKinds.edges.map((edge) => String(edge.node.dbId)) };
  },
});

const taxTableSetupNode = ownedNode.extend({
  taxPercent: optional(decimal),
  account: optional(idRef),
  objectValue: optional(idRef),
  fromDate: optional(date),
  modifiedAt: optional(wallClock),
});

export const taxTableSetupsStream = defineStream({
  name: 'taxTableSetups',
  collection: 'tax_table_setups',
  rootField: 'taxTableSetups',
  filterType: 'TaxTableSetup_Filter',
  selection: `dbId taxPercent account { ${REF_SELECTION} } objectValue { ${REF_SELECTION} } fromDate modifiedAt ownerDbId`,
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
