/**
 * Queries that public Xledger clients send must run against the simulator unchanged: a field
 * or argument they rely on that the simulator lacks would make it stricter than Xledger, and a
 * shape they parse that the simulator serves differently would make it lie.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SEED_TOKENS,
  startSimulator,
  toCetWallClock,
  type RunningSimulator,
} from '../../src/simulator/index';
import { gql } from './helpers';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, suppliers: 300 });
});
afterAll(async () => {
  await sim.close();
});

/**
 * Xledger's own sample, verbatim: xledger/graphql-samples, Webhooks-CSharp/GraphQL/Queries.cs
 * (MIT, © 2023 Xledger), assembled as its C# constants are.
 */
const ProjectsNodeSelection = `
          node {
            fromDate
            toDate
            dbId
            code
            description
            createdAt
            modifiedAt
            text
            ownerDbId
            email
            yourReference
            extIdentifier
            external
            billable
            fixedClient
            allowPosting
            timesheetEntry
            accessControl
            assignment
            activity
            extOrder
            contract
            progressDate
            pctCompleted
            overview
            expenseLedger
            fundProject
            invoiceHeader
            invoiceFooter
            totalRevenue
            yearlyRevenue
            contractedRevenue
            totalCost
            yearlyCost
            totalEstimateHours
            yearlyEstimateHours
            budgetCoveragePercent
            mainProjectDbId
            shortInfo
            shortInternalInfo
            xgl {
                dbId
                code
            }
            glObject1 {
                dbId
                code
            }
            glObject2 {
                dbId
                code
            }
            glObject3 {
                dbId
                code
            }
            glObject4 {
                dbId
                code
            }
            glObject5 {
                dbId
                code
            }
          }
        `;
const ProjectsSelection =
  `
        edges {
          cursor
        ` +
  ProjectsNodeSelection +
  '\n' +
  `
        }
        `;
const ProjectsFullSyncQuery =
  `
            query ($after: String) {
                projects(first: 10000, after: $after) {
            ` +
  ProjectsSelection +
  '\n' +
  'pageInfo { hasNextPage }\n' +
  '    }\n}';
const ProjectsLatestChangesSyncQuery =
  `
            query ($after: String, $since: DateTimeString) {
                projects(first: 10000, after: $after, filter: { modifiedAt_gte: $since }) {
            ` +
  ProjectsSelection +
  '\n' +
  'pageInfo { hasNextPage }\n' +
  '    }\n}';

describe("Xledger's sample projects query (Webhooks-CSharp/GraphQL/Queries.cs)", () => {
  it('the full sync query runs unchanged and returns projects with the sample’s field shapes', async () => {
    const result = await gql(sim, SEED_TOKENS.owner1, ProjectsFullSyncQuery, { after: null });
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    const edges = result.body.data?.projects.edges as Array<{
      cursor: string;
      node: Record<string, unknown>;
    }>;
    expect(edges.length).toBeGreaterThan(0);
    for (const { node } of edges) {
      // FieldMapping.cs: dates yyyy-MM-dd, CET date-times yyyy-MM-ddTHH:mm:ss, ownerDbId an integer.
      expect(node.fromDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(node.modifiedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
      expect(node.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
      expect(Number.isInteger(node.ownerDbId)).toBe(true);
    }
    expect(result.body.data?.projects.pageInfo).toEqual({ hasNextPage: false });
  });

  it('the latest-changes query runs unchanged with $since as the sample formats it', async () => {
    // The sample: UTC now − 15 minutes, converted to CET, formatted yyyy-MM-ddTHH:mm:ss.
    const since = toCetWallClock(new Date(Date.now() - 15 * 60_000));
    const none = await gql(sim, SEED_TOKENS.owner1, ProjectsLatestChangesSyncQuery, { after: null, since });
    expect(none.status).toBe(200);
    expect(none.body.errors).toBeUndefined();
    // Nothing changed: Xledger answers "edges": null (help centre), which the sample's
    // SelectTokens("$.data.projects.edges[*]") reads as no edges.
    expect(none.body.data?.projects.edges).toBeNull();

    const changed = await gql(sim, SEED_TOKENS.owner1, ProjectsLatestChangesSyncQuery, {
      after: null,
      since: '2000-01-01T00:00:00',
    });
    expect(changed.body.errors).toBeUndefined();
    expect(changed.body.data?.projects.edges.length).toBeGreaterThan(0);
  });
});

// --- fields public clients read ------------------------------------------------------------

/** grasp-labs' flattened names (`a_b` selects `a { b }`) turned into a selection set. */
function selectionOf(paths: string[]): string {
  type Tree = Map<string, Tree>;
  const root: Tree = new Map();
  for (const path of paths) {
    let node = root;
    for (const part of path.split('_')) {
      if (!node.has(part)) node.set(part, new Map());
      node = node.get(part)!;
    }
  }
  const format = (tree: Tree): string =>
    [...tree].map(([name, child]) => (child.size > 0 ? `${name} { ${format(child)} }` : name)).join(' ');
  return format(root);
}

const range = (prefix: string, from: number, to: number, suffix = '') =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}${suffix}`);
const sys = (field: string) =>
  ['dbId', 'name', 'ownerDbId', 'dbSubId', 'definitionId'].map((f) => `${field}_${f}`);
const flexiFieldsItem = [
  'dbId',
  'ownerDbId',
  ...range('date', 1, 4),
  ...range('flag', 1, 4),
  ...range('number', 1, 2),
  ...range('text', 1, 8),
  ...range('value', 1, 4),
  ...range('code', 1, 8, '_dbId'),
].map((field) => `flexiFieldsItem_${field}`);
const glObjectIds = [...range('glObject', 1, 5, '_dbId'), 'xgl_dbId'];

/**
 * The field names each public client reads, per query (names only, from: grasp-labs
 * ds-provider-xledger-py-lib assets/<type>/read/metadata.json; omniboost/go-xledger types.go;
 * Skyvell/xledger functions/<type>/queries.py).
 */
const CLIENT_FIELDS: Record<string, Record<string, string[]>> = {
  accounts: {
    'grasp-labs': [
      ...[
        'dbId',
        'code',
        'description',
        'modifiedAt',
        'ownerDbId',
        'asset',
        'balanceSheet',
        'cost',
        'credit',
      ],
      ...['equity', 'finance', 'liabilities', 'posting', 'revenue', 'accountGroup_dbId', 'sysAccount_dbId'],
      ...sys('accountIndicator'),
      ...sys('chartOfAccount'),
      ...sys('ledgerType'),
    ],
    'go-xledger': [
      ...[
        'dbId',
        'code',
        'description',
        'ownerDbId',
        'modifiedAt',
        'balanceSheet',
        'asset',
        'cost',
        'credit',
      ],
      ...['equity', 'finance', 'liabilities', 'posting', 'revenue', 'chartOfAccountDbId', 'accountGroupDbId'],
      ...['group', 'descriptionTranslated', 'yearEnd', 'vat', 'costOfGoodsSold', 'costWagesSalaries'],
      ...['costDepreciation', 'costSalesAndMarketing', 'costOtherOperating'],
    ],
  },
  assets: {
    'grasp-labs': [
      ...['dbId', 'code', 'description', 'balance', 'dateFrom', 'dateTo', 'ownerDbId', 'allowPosting'],
      ...['datePurchased', 'ownership', 'assetGroup_dbId', 'currency_dbId', 'fileFile_dbId'],
      ...sys('assetStatus'),
      ...flexiFieldsItem,
      ...glObjectIds,
    ],
  },
  currencies: {
    'grasp-labs': ['dbId', 'code', 'description'],
    'go-xledger': ['dbId', 'description', 'code'],
  },
  employees: {
    'grasp-labs': [
      ...[
        'dbId',
        'code',
        'description',
        'email',
        'dateFrom',
        'dateTo',
        'createdAt',
        'modifiedAt',
        'ownerDbId',
      ],
      ...['managerPhone', 'anniversaryDate', 'noticeDate', 'seniorityDate', 'contactDbId', 'employmentFrom'],
      ...['employmentTo', 'flextime', 'info', 'internalInfo', 'overtime', 'overview', 'socialSecurityMasked'],
      ...[
        'timebased',
        'timesheet',
        'trialTo',
        'assistant_dbId',
        'compensationType_dbId',
        'employeeGroup_dbId',
      ],
      ...['employmentType_dbId', 'exitReason_dbId', 'positionCategory_dbId', 'positionValue_dbId'],
      ...['subledger_dbId', 'superior_dbId', 'superior_code', 'user_dbId'],
      ...flexiFieldsItem,
      ...glObjectIds,
    ],
    Skyvell: [
      ...['dbId', 'email', 'description', 'createdAt', 'modifiedAt', 'employmentFrom', 'employmentTo'],
      ...['positionValue_dbId', 'positionValue_description', 'positionValue_code'],
      ...['positionCategory_dbId', 'positionCategory_description', 'positionCategory_code'],
      ...['compensationType_dbId', 'compensationType_description', 'compensationType_code'],
      ...['employmentType_description', 'employmentType_owner_description'],
      ...['contact_firstName', 'contact_lastName', 'contact_birthday', 'contact_age'],
      ...['contact_country_description', 'contact_gender_name'],
      ...['exitReason_dbId', 'exitReason_description', 'exitReason_code'],
      ...['glObject1_dbId', 'glObject1_description', 'glObject1_code', 'glObject1_id'],
    ],
  },
  entities: {
    'grasp-labs': [
      ...['dbId', 'code', 'description', 'email', 'phone', 'fromDate', 'toDate', 'createdAt', 'modifiedAt'],
      ...['ownerDbId', 'sicCode', 'fiscalYearStartMonth', 'notes', 'address_dbId', 'billAddress_dbId'],
      ...['amountSetupEntries_dbId', 'amountSetupEntries_ownerDbId', 'amountSetupEntries_currency_dbId'],
      ...sys('amountSetupEntries_amountField'),
      ...sys('amountSetupEntries_baseAmountField'),
      ...sys('amountSetupEntries_exchangeRate'),
      ...['company_dbId', 'company_companyNumber', 'cultureInfo_dbId', 'cultureInfo_name', 'currency_dbId'],
      ...[
        'entitySize_dbId',
        'entitySize_name',
        'flexiFieldSetupEntries_dbId',
        'flexiFieldSetupEntries_ownerDbId',
      ],
      ...[
        ...range('code', 1, 8, 'Title'),
        ...range('date', 1, 4, 'Title'),
        ...range('flag', 1, 4, 'Title'),
        ...range('number', 1, 2, 'Title'),
        ...range('text', 1, 8, 'Title'),
        ...range('value', 1, 4, 'Title'),
        ...range('code', 1, 8, 'Object').flatMap((object) =>
          ['dbId', 'code', 'description', 'ownerDbId', 'objectKind_dbId'].map((f) => `${object}_${f}`),
        ),
        ...sys('flexiFieldType'),
      ].map((field) => `flexiFieldSetupEntries_${field}`),
      ...['glSetupEntries_dbId', ...sys('glSetupEntries_field')],
      ...['dbId', 'code', 'description', 'ownerDbId', 'objectKind_dbId'].map(
        (f) => `glSetupEntries_fieldObject_${f}`,
      ),
      ...['language_dbId', 'language_name', 'ourContact_dbId'],
      ...['owner_description', 'owner_ownerDbId', 'owner_ownerCode'],
      ...['parent_dbId', 'parent_code', 'parent_description', 'shipAddress_dbId'],
      ...sys('region'),
      ...sys('treeStructure'),
      ...sys('xlCategory'),
    ],
  },
  exchangeRates: {
    'grasp-labs': [
      ...['dbId', 'fromDate', 'toDate', 'createdAt', 'modifiedAt', 'ownerDbId', 'currencyFromCode'],
      ...['currencyToCode', 'currencyFromDbId', 'currencyToDbId', 'currencyUnit', 'exchangeRate'],
      ...['exchangeRate2', 'exchangeType_dbId'],
    ],
  },
  objectKinds: {
    'grasp-labs': ['dbId', 'name', 'modifiedAt'],
    'go-xledger': ['dbId', 'name'],
  },
  objectValues: {
    'grasp-labs': [
      ...['dbId', 'code', 'description', 'dateFrom', 'dateTo', 'createdAt', 'modifiedAt', 'ownerDbId'],
      ...['dbSubId', 'id', 'objectKindDbId', 'posting', ...sys('code2'), ...sys('code3'), ...sys('code4')],
      ...['definition_dbId', 'definition_code', 'definition_description', 'levelParent_dbId'],
      ...sys('object'),
      ...sys('source'),
    ],
    'go-xledger': ['dbId', 'objectKind_dbId', 'objectKind_name', 'code', 'description'],
  },
  projects: {
    'grasp-labs': [
      ...['dbId', 'code', 'description', 'text', 'email', 'fromDate', 'toDate', 'createdAt', 'modifiedAt'],
      ...['ownerDbId', 'progressDate', 'accessControl', 'activity', 'allowPosting', 'assignment', 'billable'],
      ...['contract', 'contractedRevenue', 'expenseLedger', 'external', 'extIdentifier', 'extOrder'],
      ...['fixedClient', 'fundProject', 'invoiceFooter', 'invoiceHeader', 'overview', 'pctCompleted'],
      ...['shortInfo', 'shortInternalInfo', 'timesheetEntry', 'totalCost', 'totalEstimateHours'],
      ...['totalRevenue', 'yearlyCost', 'yearlyEstimateHours', 'yearlyRevenue', 'yourReference'],
      ...['billAddress_dbId', 'company_dbId', 'company_companyNumber', 'currency_dbId', 'customer_dbId'],
      ...[
        'externalContact_dbId',
        'incomeSpec_dbId',
        'invoiceDeliveryMethod_dbId',
        'invoiceDeliveryMethod_name',
      ],
      ...[
        'invoiceProject_dbId',
        'invoiceRule_dbId',
        'latePaymentCode_dbId',
        'mainProject_dbId',
        'ourRef_dbId',
      ],
      ...['ourSales_dbId', 'paymentTerms_dbId', 'priceGroup_dbId', 'pricelist_dbId', 'projectGroup_dbId'],
      ...['projectManager_dbId', 'projectOwner_dbId', 'reportSetup_dbId', 'shipAddress_dbId'],
      ...['shippingTerms_dbId', 'subledger_dbId', 'taxRule_dbId', 'user_dbId'],
      ...sys('incomePeriodization'),
      ...sys('pmSoInvoiceLevel'),
      ...sys('soOrderLevel'),
      ...flexiFieldsItem,
      ...glObjectIds,
    ],
    Skyvell: [
      ...['dbId', 'description', 'code', 'shortInfo', 'shortInternalInfo', 'yourReference'],
      ...['customer_dbId', 'customer_description', 'customer_email', 'customer_code'],
      ...['customer_address_country_description'],
      ...['company_dbId', 'company_description', 'company_companyNumber', 'company_code', 'company_country'],
      ...['glObject1_description', 'glObject1_dbId', 'glObject1_code'],
      ...['projectManager_dbId', 'projectManager_description'],
    ],
  },
  suppliers: {
    'grasp-labs': [
      ...['dbId', 'code', 'description', 'email', 'fromDate', 'toDate', 'modifiedAt', 'ownerDbId'],
      ...['contract', 'yourReference', 'company_dbId', 'company_companyNumber'],
      ...range('glObject', 1, 5, '_dbId'),
    ],
    Skyvell: [
      ...['dbId', 'description', 'code', 'companyDbId', 'number', 'phone'],
      ...['address_dbId', 'address_streetAddress', 'address_zipCode', 'address_place'],
    ],
  },
  taxTableSetups: {
    'grasp-labs': [
      ...[
        'dbId',
        'dateFrom',
        'dateTo',
        'createdAt',
        'modifiedAt',
        'ownerDbId',
        'accountDbId',
        'objectValueDbId',
      ],
      ...['taxTableDbId', 'correctionPercent', 'taxPercent', 'account_accountGroupDbId'],
      ...['account_chartOfAccountDbId', 'account_accountGroup_code', 'account_accountIndicator_dbId'],
      ...['account_accountIndicator_code', 'account_chartOfAccount_dbId', 'account_chartOfAccount_name'],
      ...['object_description', 'object_objectKind_dbId', 'object_objectKind_name'],
      ...['objectValue_dbId', 'objectValue_definitionId', 'objectValue_objectKindDbId'],
    ],
  },
};

describe('fields public clients read', () => {
  for (const [rootField, clients] of Object.entries(CLIENT_FIELDS)) {
    for (const [client, fields] of Object.entries(clients)) {
      it(`${rootField}: every field ${client} reads is served`, async () => {
        // As the clients page: first + after, and cursor and pageInfo beside the nodes.
        const query = `query ($after: String) { ${rootField}(first: 50, after: $after) {
          pageInfo { hasNextPage hasPreviousPage } edges { cursor node { ${selectionOf(fields)} } } } }`;
        const result = await gql(sim, SEED_TOKENS.owner1, query, { after: null });
        expect(result.body.errors, JSON.stringify(result.body.errors)).toBeUndefined();
        expect(result.status).toBe(200);
        expect(result.body.data?.[rootField].edges.length).toBeGreaterThan(0);
      });
    }
  }

  it('delta queries take first, last and after as Skyvell’s delta fetcher sends them', async () => {
    for (const field of ['supplier_deltas', 'employee_deltas', 'project_deltas']) {
      const query = `query get_${field}($first: Int, $last: Int, $after: String) {
        ${field}(first: $first, last: $last, after: $after) {
          edges { node { dbId mutationType } cursor } pageInfo { hasNextPage } } }`;
      // A full synchronisation first asks { last: 1 }: the newest delta's cursor only.
      const newest = await gql(sim, SEED_TOKENS.owner1, query, { last: 1 });
      expect(newest.body.errors, field).toBeUndefined();
      const [edge] = newest.body.data?.[field].edges as Array<{ cursor: string }>;
      expect(newest.body.data?.[field].edges).toHaveLength(1);
      // Then { first, after }: nothing after the newest.
      const after = await gql(sim, SEED_TOKENS.owner1, query, { first: 10000, after: edge!.cursor });
      expect(after.body.errors, field).toBeUndefined();
      expect(after.body.data?.[field].edges, field).toBeNull();
    }
  });

  it('go-xledger’s inline arguments (ownerSet: LOWER, an objectKindDbId filter) are taken', async () => {
    const kinds = await gql(
      sim,
      SEED_TOKENS.owner1,
      '{ objectKinds(first: 500) { edges { node { dbId name } } } }',
    );
    const taxRule = (
      kinds.body.data?.objectKinds.edges as Array<{ node: { dbId: number; name: string } }>
    ).find((edge) => edge.node.name === 'TAX_RULE');
    const values = await gql(
      sim,
      SEED_TOKENS.owner1,
      `{ objectValues(filter: {objectKindDbId: ${taxRule!.node.dbId}}, first: 500) { pageInfo { hasNextPage } edges { cursor node { dbId objectKind { dbId name } code description } } } }`,
    );
    expect(values.body.errors).toBeUndefined();
    expect(values.body.data?.objectValues.edges.length).toBeGreaterThan(0);
    const accounts = await gql(
      sim,
      SEED_TOKENS.owner1,
      '{ accounts(ownerSet: LOWER, first: 500) { pageInfo { hasNextPage } edges { cursor node { dbId } } } }',
    );
    expect(accounts.body.errors).toBeUndefined();
  });
});
