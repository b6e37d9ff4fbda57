/**
 * Deterministic seed data: the same seed and size always give the same records, dbIds and
 * timestamps (no Date.now, no Math.random). Records live on every level of the entity tree —
 * root, both owners, every client — so that owner filtering can be tested on every type.
 */
import { addDays } from './clock';
import { SimulatorState, type EntityRecord } from './state';
import type { SimRecord } from './record-table';

/** Entity dbIds are the same for every seed, so tests and docs can name them. */
export const SEED_ENTITIES = {
  root: 100,
  owner1: 101,
  owner1Clients: [102, 103, 104],
  owner2: 105,
  owner2Clients: [106, 107, 108],
} as const;

/** Records start here; every dbId is allocated upwards from it across all types. */
export const FIRST_RECORD_DB_ID = 1001;

/** Ids of referenced things that are not served as records (companies, unknown managers). */
const COMPANY_DB_ID_BASE = 900_000_000_000;
const UNKNOWN_EMPLOYEE_DB_ID_BASE = 990_000_000_000;

export interface SeedOptions {
  seed: number;
  suppliers: number;
}

/** Counts per type, scaled from the supplier count with caps so that 100,000+ stays fast. */
export function seedCounts(suppliers: number) {
  const scaled = (ratio: number, min: number, max: number) =>
    Math.min(max, Math.max(min, Math.round(suppliers * ratio)));
  return {
    suppliers,
    accounts: scaled(0.1, 30, 5_000),
    dimensionValues: scaled(0.1, 20, 10_000),
    employees: scaled(0.25, 20, 20_000),
    projects: scaled(0.25, 40, 20_000),
    assets: scaled(0.05, 18, 5_000),
  };
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Random {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(probability: number): boolean {
    return this.next() < probability;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const COMPANY_PREFIXES = [
  'Nord',
  'Fjord',
  'Vest',
  'Aust',
  'Berg',
  'Aurora',
  'Polar',
  'Viking',
  'Lofoten',
  'Kyst',
  'Skog',
  'Fjell',
  'Havn',
  'Elv',
  'Midnatt',
  'Stein',
];
const COMPANY_TRADES = [
  'Bygg',
  'Transport',
  'Data',
  'Consult',
  'Elektro',
  'Maskin',
  'Trykk',
  'Ror',
  'Mat',
  'Service',
  'Energi',
  'Logistikk',
  'Design',
  'Regnskap',
];
const COMPANY_FORMS = ['AS', 'AS', 'AS', 'ASA', 'ANS', 'AB', 'Ltd'];
const FIRST_NAMES = [
  'Ola',
  'Kari',
  'Per',
  'Ingrid',
  'Lars',
  'Nora',
  'Jonas',
  'Emma',
  'Anders',
  'Sofie',
  'Erik',
  'Maja',
];
const LAST_NAMES = [
  'Hansen',
  'Johansen',
  'Olsen',
  'Larsen',
  'Andersen',
  'Pedersen',
  'Nilsen',
  'Berg',
  'Haugen',
  'Dahl',
];

/** Norwegian-style VAT rules, seeded as object values of each owner's TAX_RULE kind. */
export const TAX_RULES = [
  { code: '0', description: 'No VAT handling', percent: '0.00' },
  { code: '1', description: 'Input VAT, high rate', percent: '25.00' },
  { code: '3', description: 'Output VAT, high rate', percent: '25.00' },
  { code: '5', description: 'Zero-rated sale', percent: '0.00' },
  { code: '11', description: 'Input VAT, medium rate', percent: '15.00' },
  { code: '13', description: 'Input VAT, low rate', percent: '12.00' },
  { code: '14', description: 'Import VAT, high rate', percent: '25.00' },
] as const;
/** A tax rule that exists only on client entities (client-level record). */
export const CLIENT_TAX_RULE = {
  code: '81',
  description: 'Client-specific input VAT',
  percent: '25.00',
} as const;

/**
 * Accounts every root/owner chart has, so that postings can name them in tests. `ledgerType` is
 * the code the simulator keeps (served as { dbId name }, shapes.ts); `vat` is Xledger's Boolean.
 */
export const WELL_KNOWN_ACCOUNTS = [
  { code: '1920', description: 'Bank deposits', ledgerType: 'GL', balanceSheet: true, vat: false },
  { code: '2400', description: 'Accounts payable', ledgerType: 'AP', balanceSheet: true, vat: false },
  { code: '2710', description: 'Input VAT', ledgerType: 'GL', balanceSheet: true, vat: false },
  { code: '4000', description: 'Purchases of goods', ledgerType: 'GL', balanceSheet: false, vat: true },
  { code: '6300', description: 'Rent', ledgerType: 'GL', balanceSheet: false, vat: true },
  { code: '6800', description: 'Office supplies', ledgerType: 'GL', balanceSheet: false, vat: true },
  { code: '7700', description: 'Other operating costs', ledgerType: 'GL', balanceSheet: false, vat: false },
] as const;

const OWNER_CURRENCIES = [
  ['NOK', 'Norwegian krone', 1],
  ['EUR', 'Euro', 11.5],
  ['USD', 'US dollar', 10.6],
  ['SEK', 'Swedish krona', 1.0],
  ['DKK', 'Danish krone', 1.54],
  ['GBP', 'Pound sterling', 13.4],
] as const;
const CLIENT_CURRENCIES = [
  ['CHF', 'Swiss franc', 12.1],
  ['PLN', 'Polish zloty', 2.65],
  ['JPY', 'Japanese yen', 0.07],
] as const;

const ASSET_GROUPS = [
  ['IT', 'IT equipment'],
  ['VEHICLES', 'Vehicles'],
  ['FURNITURE', 'Furniture and fittings'],
] as const;

/** Creates the entity tree: one root group above two owners with three clients each. */
function seedEntities(state: SimulatorState): void {
  const add = (dbId: number, code: string, description: string, parentDbId: number | null) => {
    const entity: EntityRecord = { dbId, code, description, parentDbId, ownerDbId: parentDbId ?? dbId };
    state.addEntity(entity);
  };
  add(SEED_ENTITIES.root, 'GROUP', 'Nordlys Group', null);
  const owners = [
    { dbId: SEED_ENTITIES.owner1, clients: SEED_ENTITIES.owner1Clients, name: 'Fjordkraft Regnskap' },
    { dbId: SEED_ENTITIES.owner2, clients: SEED_ENTITIES.owner2Clients, name: 'Vestland Byra' },
  ];
  owners.forEach((owner, ownerIndex) => {
    add(owner.dbId, `OWNER${ownerIndex + 1}`, owner.name, SEED_ENTITIES.root);
    owner.clients.forEach((client, clientIndex) => {
      add(
        client,
        `O${ownerIndex + 1}-C${clientIndex + 1}`,
        `${owner.name} client ${clientIndex + 1}`,
        owner.dbId,
      );
    });
  });
}

/** Every entity, in tree order: root, owner 1, its clients, owner 2, its clients. */
const ALL_ENTITIES: readonly number[] = [
  SEED_ENTITIES.root,
  SEED_ENTITIES.owner1,
  ...SEED_ENTITIES.owner1Clients,
  SEED_ENTITIES.owner2,
  ...SEED_ENTITIES.owner2Clients,
];
/** Most records belong to owners; clients and the root hold fewer. Weights sum to 100. */
const ENTITY_WEIGHTS: ReadonlyArray<readonly [number, number]> = [
  [SEED_ENTITIES.root, 4],
  [SEED_ENTITIES.owner1, 30],
  ...SEED_ENTITIES.owner1Clients.map((dbId) => [dbId, 6] as const),
  [SEED_ENTITIES.owner2, 30],
  ...SEED_ENTITIES.owner2Clients.map((dbId) => [dbId, 6] as const),
];

/** The entity whose charts and kinds a record of `entity` uses: root → root, client → its owner. */
function treeOwner(entity: number): number {
  if ((SEED_ENTITIES.owner1Clients as readonly number[]).includes(entity)) return SEED_ENTITIES.owner1;
  if ((SEED_ENTITIES.owner2Clients as readonly number[]).includes(entity)) return SEED_ENTITIES.owner2;
  return entity;
}

export function seedState(state: SimulatorState, options: SeedOptions): void {
  const random = new Random(options.seed);
  const counts = seedCounts(options.suppliers);
  // A fixed "today" of the seeded world, derived from the seed; all seeded times lie before it.
  const baseDate = addDays('2024-06-01', options.seed % 120);
  const dayStrings: string[] = [];
  for (let offset = 0; offset <= 4000; offset++) dayStrings.push(addDays(baseDate, -offset));
  const day = (daysBefore: number) => dayStrings[Math.min(Math.max(daysBefore, 0), 4000)] as string;
  // 07:00–19:59 only: never inside the spring-forward gap, never ambiguous in the autumn.
  // Xledger's timestamps carry no fraction (H); the milliseconds are still drawn so that a
  // seed keeps giving the data it always gave.
  const time = () => {
    const clock = `${pad(random.int(7, 19))}:${pad(random.int(0, 59))}:${pad(random.int(0, 59))}`;
    random.int(0, 999);
    return clock;
  };
  const stamps = () => {
    const created = random.int(30, 1500);
    const modified = random.int(0, created);
    return { createdAt: `${day(created)}T${time()}`, modifiedAt: `${day(modified)}T${time()}` };
  };
  const entityFor = (index: number, perEntity = 1): number => {
    if (index < ALL_ENTITIES.length * perEntity) return ALL_ENTITIES[index % ALL_ENTITIES.length] as number;
    let roll = random.int(0, 99);
    for (const [dbId, weight] of ENTITY_WEIGHTS) {
      if (roll < weight) return dbId;
      roll -= weight;
    }
    return SEED_ENTITIES.owner1;
  };
  const counterFor = () => {
    const counters = new Map<number | string, number>();
    return (key: number | string) => {
      const next = counters.get(key) ?? 0;
      counters.set(key, next + 1);
      return next;
    };
  };
  const ref = (record: SimRecord) => ({
    dbId: record.dbId,
    code: record.code as string,
    description: record.description as string,
  });

  seedEntities(state);
  state.addSeedTokens({
    root: SEED_ENTITIES.root,
    owner1: SEED_ENTITIES.owner1,
    owner2: SEED_ENTITIES.owner2,
    owner1Client1: SEED_ENTITIES.owner1Clients[0],
  });

  // --- object kinds: each owner has its own TAX_RULE kind (different dbIds) ---------------
  const kinds = new Map<number, Map<string, number>>();
  const addKind = (entity: number, name: string) => {
    const record: SimRecord = { dbId: state.allocateDbId(), name, ownerDbId: entity, ...stamps() };
    state.insertSeeded('objectKinds', record);
    const byName = kinds.get(entity) ?? new Map<string, number>();
    byName.set(name, record.dbId);
    kinds.set(entity, byName);
  };
  for (const entity of ALL_ENTITIES) {
    if (entity === SEED_ENTITIES.root) ['REGION', 'TAX_RULE'].forEach((name) => addKind(entity, name));
    else if (treeOwner(entity) === entity)
      ['TAX_RULE', 'DEPARTMENT', 'COST_CENTER'].forEach((name) => addKind(entity, name));
    else addKind(entity, 'PROJECT_TYPE');
  }
  const kindOf = (entity: number, name: string) => kinds.get(entity)?.get(name) as number;

  // --- object values: tax rules, regions and generic dimension values ------------------
  const taxRuleValues: SimRecord[] = [];
  const addValue = (
    entity: number,
    kindOwner: number,
    kindName: string,
    code: string,
    description: string,
  ) => {
    const kindDbId = kindOf(kindOwner, kindName);
    const closed = kindName !== 'TAX_RULE' && random.chance(0.06);
    const record: SimRecord = {
      dbId: state.allocateDbId(),
      code,
      description,
      dateFrom: day(random.int(900, 3000)),
      dateTo: closed ? day(random.int(1, 300)) : null,
      objectKindDbId: kindDbId,
      objectKind: { dbId: kindDbId, name: kindName },
      posting: true,
      ownerDbId: entity,
      ...stamps(),
    };
    state.insertSeeded('objectValues', record);
    return record;
  };
  const regionValues: SimRecord[] = [];
  for (const entity of ALL_ENTITIES) {
    if (entity === SEED_ENTITIES.root) {
      taxRuleValues.push(addValue(entity, entity, 'TAX_RULE', '0', 'No VAT handling'));
      for (const region of ['NORTH', 'SOUTH', 'WEST', 'EAST']) {
        regionValues.push(addValue(entity, entity, 'REGION', region, `Region ${region.toLowerCase()}`));
      }
    } else if (treeOwner(entity) === entity) {
      for (const rule of TAX_RULES)
        taxRuleValues.push(addValue(entity, entity, 'TAX_RULE', rule.code, rule.description));
    } else {
      const owner = treeOwner(entity);
      taxRuleValues.push(
        addValue(entity, owner, 'TAX_RULE', CLIENT_TAX_RULE.code, CLIENT_TAX_RULE.description),
      );
    }
  }
  // Generic dimension values live in the owner trees (the root has its regions).
  const departmentValues = new Map<number, SimRecord[]>();
  const costCenterValues = new Map<number, SimRecord[]>();
  const nextDimensionCode = counterFor();
  const treeEntities = ALL_ENTITIES.filter((entity) => entity !== SEED_ENTITIES.root);
  for (let index = 0; index < counts.dimensionValues; index++) {
    let entity = index < treeEntities.length ? (treeEntities[index] as number) : entityFor(index + 9);
    if (entity === SEED_ENTITIES.root) entity = SEED_ENTITIES.owner1;
    const owner = treeOwner(entity);
    const isClient = owner !== entity;
    const kindName =
      isClient && random.chance(0.5) ? 'PROJECT_TYPE' : random.pick(['DEPARTMENT', 'COST_CENTER']);
    const kindOwner = kindName === 'PROJECT_TYPE' ? entity : owner;
    const code = String(100 + nextDimensionCode(`${entity}|${kindName}`));
    const label =
      kindName === 'DEPARTMENT' ? 'Department' : kindName === 'COST_CENTER' ? 'Cost centre' : 'Project type';
    const record = addValue(entity, kindOwner, kindName, code, `${label} ${code}`);
    if (!isClient && kindName === 'DEPARTMENT') pushTo(departmentValues, owner, record);
    if (!isClient && kindName === 'COST_CENTER') pushTo(costCenterValues, owner, record);
  }

  // --- accounts: a chart per root/owner; clients use their owner's chart ----------------
  const charts = new Map<number, { chart: number; groups: number[] }>();
  for (const entity of [SEED_ENTITIES.root, SEED_ENTITIES.owner1, SEED_ENTITIES.owner2]) {
    const chart = state.allocateDbId();
    charts.set(entity, { chart, groups: [state.allocateDbId(), state.allocateDbId(), state.allocateDbId()] });
    const code = state.entity(entity)?.code ?? String(entity);
    state.names.set(chart, { name: `${code} chart of accounts` });
    ['BS', 'PL', 'PL2'].forEach((group, index) =>
      state.names.set(charts.get(entity)?.groups[index] as number, { code: `${code}-${group}` }),
    );
  }
  const vatAccounts = new Map<number, SimRecord>();
  const addAccount = (entity: number, fields: Record<string, unknown>) => {
    const chart = charts.get(treeOwner(entity)) as { chart: number; groups: number[] };
    const record: SimRecord = {
      dbId: state.allocateDbId(),
      ownerDbId: entity,
      posting: true,
      chartOfAccountDbId: chart.chart,
      accountGroupDbId: fields.balanceSheet ? chart.groups[0] : chart.groups[random.int(1, 2)],
      toDate: null,
      ...fields,
      ...stamps(),
    };
    state.insertSeeded('accounts', record);
    return record;
  };
  for (const entity of [SEED_ENTITIES.root, SEED_ENTITIES.owner1, SEED_ENTITIES.owner2]) {
    for (const account of WELL_KNOWN_ACCOUNTS) {
      const record = addAccount(entity, { ...account });
      if (account.code === '2710') vatAccounts.set(entity, record);
    }
  }
  const nextAccountCode = counterFor();
  for (let index = 0; index < counts.accounts; index++) {
    const entity = entityFor(index);
    const code = String(10000 + nextAccountCode(entity));
    const balanceSheet = random.chance(0.3);
    addAccount(entity, {
      code,
      description: `${balanceSheet ? 'Balance' : 'Expense'} account ${code}`,
      balanceSheet,
      vat: balanceSheet ? false : random.pick([false, true, true, true]),
      ledgerType: 'GL',
      posting: random.chance(0.95),
      // Accounts have no closing date in the SDL; this admin-only field drives objectStatus.
      toDate: random.chance(0.04) ? day(random.int(1, 400)) : null,
    });
  }

  // --- tax table setups: the percentage of every tax rule -----------------------------
  for (const value of taxRuleValues) {
    const rule = [...TAX_RULES, CLIENT_TAX_RULE].find((candidate) => candidate.code === value.code);
    const account = vatAccounts.get(treeOwner(value.ownerDbId)) as SimRecord;
    state.insertSeeded('taxTableSetups', {
      dbId: state.allocateDbId(),
      taxPercent: rule?.percent ?? '0.00',
      account: {
        ...ref(account),
        accountGroupDbId: account.accountGroupDbId,
        chartOfAccountDbId: account.chartOfAccountDbId,
      },
      objectValue: { ...ref(value), objectKindDbId: value.objectKindDbId },
      dateFrom: '2016-01-01',
      dateTo: null,
      ownerDbId: value.ownerDbId,
      ...stamps(),
    });
  }

  // --- currencies and exchange rates (currencies carry no timestamps: no modifiedAt filter) -
  const currencyRecords: Array<{ record: SimRecord; rate: number }> = [];
  const addCurrency = (entity: number, code: string, description: string, rate: number) => {
    const record: SimRecord = { dbId: state.allocateDbId(), code, description, ownerDbId: entity };
    state.insertSeeded('currencies', record);
    currencyRecords.push({ record, rate });
  };
  for (const entity of ALL_ENTITIES) {
    if (entity === SEED_ENTITIES.root) {
      OWNER_CURRENCIES.slice(0, 2).forEach(([code, description, rate]) =>
        addCurrency(entity, code, description, rate),
      );
    } else if (treeOwner(entity) === entity) {
      OWNER_CURRENCIES.forEach(([code, description, rate]) => addCurrency(entity, code, description, rate));
    } else {
      // Client n of an owner gets the n-th client currency.
      const clientIndex = (treeEntities.indexOf(entity) % 4) - 1;
      const [code, description, rate] = CLIENT_CURRENCIES[clientIndex] as (typeof CLIENT_CURRENCIES)[number];
      addCurrency(entity, code, description, rate);
    }
  }
  const nokOf = (entity: number) =>
    currencyRecords.find(({ record }) => record.code === 'NOK' && record.ownerDbId === treeOwner(entity))
      ?.record;
  for (const { record, rate } of currencyRecords) {
    if (record.code === 'NOK') continue;
    const isOwnerLevel =
      record.ownerDbId === SEED_ENTITIES.owner1 || record.ownerDbId === SEED_ENTITIES.owner2;
    const daysOfRates = isOwnerLevel ? 30 : 1;
    for (let daysBefore = daysOfRates - 1; daysBefore >= 0; daysBefore--) {
      const date = day(daysBefore);
      state.insertSeeded('exchangeRates', {
        dbId: state.allocateDbId(),
        currencyFromCode: record.code,
        currencyFromDbId: record.dbId,
        currencyToCode: 'NOK',
        currencyToDbId: nokOf(record.ownerDbId)?.dbId ?? null,
        currencyUnit: 1,
        exchangeRate: (rate * (0.97 + random.float() * 0.06)).toFixed(4),
        fromDate: date,
        toDate: date,
        ownerDbId: record.ownerDbId,
        createdAt: `${date}T${time()}`,
        modifiedAt: `${date}T${time()}`,
      });
    }
  }

  // --- employees: the first two per entity have / lack an email -------------------------
  const withEmail = new Map<number, SimRecord[]>();
  const withoutEmail = new Map<number, SimRecord[]>();
  const nextEmployee = counterFor();
  for (let index = 0; index < counts.employees; index++) {
    const entity = entityFor(index, 2);
    const k = nextEmployee(entity);
    const firstName = random.pick(FIRST_NAMES);
    const lastName = random.pick(LAST_NAMES);
    const hasEmail = k === 0 || (k !== 1 && random.chance(0.85));
    const code = `E${1000 + k}`;
    const record: SimRecord = {
      dbId: state.allocateDbId(),
      code,
      description: `${firstName} ${lastName}`,
      email: hasEmail ? `${firstName}.${lastName}.${entity}-${k}@example.no`.toLowerCase() : null,
      contact: { firstName, lastName },
      employmentFrom: day(random.int(200, 4000)),
      employmentTo: k > 1 && random.chance(0.08) ? day(random.int(1, 199)) : null,
      ownerDbId: entity,
      ...stamps(),
    };
    state.insertSeeded('employees', record);
    pushTo(hasEmail ? withEmail : withoutEmail, entity, record);
  }

  // --- projects: manager with email / without email / unknown dbId / none ---------------
  const nextProject = counterFor();
  let unknownManagers = 0;
  const managerFrom = (pool: Map<number, SimRecord[]>, entity: number) => {
    const candidates = pool.get(entity) ?? pool.get(treeOwner(entity)) ?? [];
    return candidates.length > 0 ? random.pick(candidates) : null;
  };
  for (let index = 0; index < counts.projects; index++) {
    const entity = entityFor(index, 4);
    const k = nextProject(entity);
    const roll = random.float();
    const managerCase = k < 4 ? k : roll < 0.7 ? 0 : roll < 0.8 ? 1 : roll < 0.9 ? 2 : 3;
    let projectManager: Record<string, unknown> | null = null;
    if (managerCase === 0 || managerCase === 1) {
      const employee = managerFrom(managerCase === 0 ? withEmail : withoutEmail, entity);
      projectManager = employee ? ref(employee) : null;
    } else if (managerCase === 2) {
      projectManager = {
        dbId: UNKNOWN_EMPLOYEE_DB_ID_BASE + unknownManagers++,
        code: null,
        description: null,
      };
    }
    const closed = k >= 4 && random.chance(0.1);
    state.insertSeeded('projects', {
      dbId: state.allocateDbId(),
      code: `P${1000 + k}`,
      description: `${random.pick(COMPANY_PREFIXES)} project ${1000 + k}`,
      fromDate: day(random.int(400, 2000)),
      toDate: closed
        ? day(random.int(1, 399))
        : random.chance(0.3)
          ? addDays(baseDate, random.int(30, 900))
          : null,
      projectManager,
      ownerDbId: entity,
      ...stamps(),
    });
  }

  // --- suppliers ------------------------------------------------------------------------
  const nextSupplier = counterFor();
  for (let index = 0; index < counts.suppliers; index++) {
    const entity = entityFor(index);
    const k = nextSupplier(entity);
    const owner = treeOwner(entity);
    const trade = random.pick(COMPANY_TRADES);
    const prefix = random.pick(COMPANY_PREFIXES);
    const description = `${prefix} ${trade} ${random.pick(COMPANY_FORMS)}`;
    const departments = owner === SEED_ENTITIES.root ? regionValues : (departmentValues.get(owner) ?? []);
    const costCenters = costCenterValues.get(owner) ?? [];
    const roll = random.float();
    state.insertSeeded('suppliers', {
      dbId: state.allocateDbId(),
      code: String(10000 + k),
      description,
      email: random.chance(0.7) ? `invoice@${prefix}${trade}${k}.example.no`.toLowerCase() : null,
      fromDate: day(random.int(100, 3000)),
      toDate: roll < 0.05 ? day(random.int(1, 99)) : roll < 0.08 ? '2030-12-31' : null,
      ownerDbId: entity,
      company: random.chance(0.9)
        ? { dbId: COMPANY_DB_ID_BASE + index, companyNumber: String(900_000_000 + random.int(0, 99_999_999)) }
        : null,
      glObject1: departments.length > 0 && random.chance(0.5) ? ref(random.pick(departments)) : null,
      glObject2: costCenters.length > 0 && random.chance(0.2) ? ref(random.pick(costCenters)) : null,
      glObject3: null,
      glObject4: null,
      glObject5: null,
      ...stamps(),
    });
  }

  // --- fixed assets ---------------------------------------------------------------------
  const groups = ASSET_GROUPS.map(([code, description]) => ({
    dbId: state.allocateDbId(),
    code,
    description,
  }));
  const nextAsset = counterFor();
  for (let index = 0; index < counts.assets; index++) {
    const entity = entityFor(index);
    const k = nextAsset(entity);
    const group = random.pick(groups);
    const datePurchased = day(random.int(30, 2500));
    const disposed = k > 0 && random.chance(0.1);
    const currency = nokOf(entity);
    state.insertSeeded('assets', {
      dbId: state.allocateDbId(),
      code: `A${10000 + k}`,
      description: `${group.description} item ${k + 1}`,
      datePurchased,
      dateFrom: datePurchased,
      // Derived without drawing, so that a seed keeps giving the assets it always gave.
      dateTo: disposed ? [addDays(datePurchased, 365 + (k % 700)), day(1)].sort()[0] : null,
      balance: disposed ? '0.00' : ((k + 1) * 1375.5).toFixed(2),
      currency: currency ? ref(currency) : null,
      assetGroup: group,
      // The simulator keeps the status code; Xledger serves { dbId name } (shapes.ts).
      assetStatus: disposed ? 'DISPOSED' : 'ACTIVE',
      ownerDbId: entity,
    });
  }
}

export function createSeededState(options: SeedOptions): SimulatorState {
  const state = new SimulatorState(options.seed, FIRST_RECORD_DB_ID);
  seedState(state, options);
  return state;
}
