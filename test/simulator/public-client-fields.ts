/**
 * The field names each public Xledger client reads, per query (names only, for
 * public-clients.unit.test.ts): a field or argument they rely on that the simulator lacks would make
 * it stricter than Xledger.
 */

/** grasp-labs' flattened names (`a_b` selects `a { b }`) turned into a selection set. */
export function selectionOf(paths: string[]): string {
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
export const CLIENT_FIELDS: Record<string, Record<string, string[]>> = {
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
      // Round three: functions/api_functions/suppliers/queries.py.
      ...['bankAccount', 'notes', 'company_dbId', 'company_companyNumber'],
      ...['subledgerGroup_dbId', 'subledgerGroup_description', 'address_fullAddress'],
      ...['contact_dbId', 'contact_name'],
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
