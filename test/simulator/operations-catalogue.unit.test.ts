/**
 * Every GraphQL document the client can send comes from one catalogue (src/catalogue/operations.ts).
 * Each must validate against the simulator's SDL — the schema that stands in for Xledger's — with
 * its example variables, and the read operations must declare only confirmed type names and run.
 * The same check can be pointed at a tenant's live, introspected schema.
 */
import { PUSH_USER } from '../../src/xledger/webhooks';
import { getVariableValues } from 'graphql/execution/values';
import {
  GraphQLInputObjectType,
  Kind,
  parse,
  print,
  specifiedScalarTypes,
  typeFromAST,
  validate,
  type OperationDefinitionNode,
  type TypeNode,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataTypes } from '../../src/datatypes/registry';
import {
  buildSimulatorSchema,
  SEED_TOKENS,
  startSimulator,
  type RunningSimulator,
} from '../../src/simulator/index';
import { CONFIRMED_TYPE_NAMES } from '../../src/xledger/filter-fields';
import { ATTACH_DOCUMENT_USER, postingOperations } from '../../src/xledger/gl-import';
import { gql } from './helpers';
import {
  POSTING_USER,
  introspectionQuery,
  listOperations,
  queriedFields,
  scopeProbe,
} from '../../src/catalogue/operations';

const schema = buildSimulatorSchema();
const operations = listOperations();
const postingNames = new Set(postingOperations().map((operation) => operation.name));
const readOperations = operations.filter((operation) => !postingNames.has(operation.name));

function definitionOf(document: string): OperationDefinitionNode {
  const definition = parse(document).definitions.find((node) => node.kind === Kind.OPERATION_DEFINITION);
  if (!definition) throw new Error('no operation in the document');
  return definition as OperationDefinitionNode;
}

const namedType = (type: TypeNode): string =>
  type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type);

/** GraphQL's own scalars exist in every schema: the only names a variable may use anywhere. */
const BUILT_IN = specifiedScalarTypes.map((type) => type.name);

/**
 * Xledger's own type names confirmed for one place only (../shared/xledger-api.md, "Round
 * three"): a variable of that type may be used there and nowhere else.
 */
const CONFIRMED_AT: Record<string, readonly string[]> = {
  // H: Xledger's sample declares $since: DateTimeString for projects' modifiedAt_gte.
  DateTimeString: ['projects.filter.modifiedAt_gte'],
  // H: grasp-labs' create query and go-xledger agree on the mutation's input type.
  AddGLImportItemsInput: ['addGLImportItems(inputs)'],
};

/** Where each variable is used: `<root field>(<argument>)` or `<root field>.<argument>.<field>`. */
function variableUses(definition: OperationDefinitionNode): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  const record = (variable: string, place: string) =>
    uses.set(variable, [...(uses.get(variable) ?? []), place]);
  for (const field of definition.selectionSet.selections) {
    if (field.kind !== Kind.FIELD) continue;
    for (const argument of field.arguments ?? []) {
      const at = `${field.name.value}.${argument.name.value}`;
      if (argument.value.kind === Kind.VARIABLE) {
        record(argument.value.name.value, `${field.name.value}(${argument.name.value})`);
      } else if (argument.value.kind === Kind.OBJECT) {
        for (const entry of argument.value.fields) {
          if (entry.value.kind === Kind.VARIABLE) record(entry.value.name.value, `${at}.${entry.name.value}`);
        }
      }
    }
  }
  return uses;
}

/** A filter field holding ids: `dbId_in`, `objectKindDbId_in`, `transactionDbId_in`. */
const isIdList = (filterField: string) => /(^d|D)bId_in$/.test(filterField);

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ seed: 2, suppliers: 100 });
});
afterAll(async () => {
  await sim.close();
});

describe('the catalogue of operations', () => {
  it('lists every stream with and without its change filter and delta companion, deltas alone, the entity tree, the look-up and posting', () => {
    const names = operations.map((operation) => operation.name);
    expect(new Set(names).size, 'operation names are unique').toBe(names.length);
    for (const stream of dataTypes.flatMap((type) => type.streams)) {
      expect(names).toContain(`${stream.name}Page`);
      if (stream.changeCursor) expect(names).toContain(`${stream.name}PageSince`);
      if (stream.deltas) {
        expect(names).toContain(`${stream.name}PageWithNewestDelta`);
        expect(names).toContain(`${stream.name}PageSinceWithDeltas`);
        expect(names).toContain(`${stream.deltas}Page`);
      }
    }
    expect(names).toEqual(expect.arrayContaining(['entityTree', 'objectKindsLookup', ...postingNames]));
    expect(names).toContain('suppliersPageSinceWithDeltas');
    expect(names).toContain('taxRulesPageSince');
  });

  it('says what needs each operation: data types, invoices for posting, invoice documents for the create with a file, push', () => {
    const known = [...dataTypes.map((type) => type.name), POSTING_USER, ATTACH_DOCUMENT_USER, PUSH_USER];
    for (const operation of operations) {
      expect(operation.usedBy.length, operation.name).toBeGreaterThan(0);
      for (const user of operation.usedBy) expect(known, operation.name).toContain(user);
    }
    const usedBy = (name: string) => operations.find((operation) => operation.name === name)?.usedBy;
    expect(usedBy('suppliersPage')).toEqual(['suppliers']);
    expect(usedBy('assetsPage')).toEqual(['fixedAssets']);
    expect(usedBy('objectKindsLookup')).toEqual(['vatCodes']);
    expect(usedBy('entityTree')).toEqual(dataTypes.map((type) => type.name));
    for (const name of postingNames) {
      expect(usedBy(name)).toEqual([
        name === 'addGLImportItemsWithFile' ? ATTACH_DOCUMENT_USER : POSTING_USER,
      ]);
    }
    for (const name of ['addWebhook', 'removeWebhook', 'webhookStates'])
      expect(usedBy(name)).toEqual([PUSH_USER]);
  });

  it("the live schema check's own documents (introspection, scope probe) validate and run", async () => {
    const fields = queriedFields().map((entry) => entry.field);
    expect(fields).toEqual(expect.arrayContaining(['entities', 'suppliers', 'supplier_deltas', 'assets']));
    expect(fields).not.toContain('addGLImportItems');
    for (const operation of [introspectionQuery(), scopeProbe(fields)]) {
      expect(validate(schema, parse(operation.document)).map((error) => error.message)).toEqual([]);
      const result = await gql(sim, SEED_TOKENS.owner1, operation.document);
      expect(result.body.errors, operation.name).toBeUndefined();
    }
  });

  it.each(operations.map((operation) => [operation.name, operation] as const))(
    '%s validates against the simulator SDL with its example variables',
    (name, operation) => {
      const errors = validate(schema, parse(operation.document)).map((error) => error.message);
      expect(errors, `${name}: ${errors.join('; ')}\n${operation.document}`).toEqual([]);
      const coerced = getVariableValues(
        schema,
        definitionOf(operation.document).variableDefinitions ?? [],
        operation.variables,
      );
      const variableErrors = (coerced.errors ?? []).map((error) => error.message);
      expect(variableErrors, `${name}: ${variableErrors.join('; ')}`).toEqual([]);
    },
  );

  it("the catalogue declares only GraphQL's own names anywhere (CONFIRMED_TYPE_NAMES)", () => {
    for (const name of CONFIRMED_TYPE_NAMES) expect(BUILT_IN).toContain(name);
  });

  it.each(operations.map((operation) => [operation.name, operation] as const))(
    '%s declares only type names confirmed where it uses them, and writes enums and filters inline',
    (name, operation) => {
      const definition = definitionOf(operation.document);
      const uses = variableUses(definition);
      for (const variable of definition.variableDefinitions ?? []) {
        const type = namedType(variable.type);
        const used = uses.get(variable.variable.name.value) ?? [];
        const label = `${name}: $${variable.variable.name.value}: ${type} used at ${used.join(', ')}`;
        if (!BUILT_IN.includes(type)) {
          expect(CONFIRMED_AT[type], label).toBeDefined();
          for (const place of used) expect(CONFIRMED_AT[type], label).toContain(place);
        }
        expect(typeFromAST(schema, variable.type as never), `${name}: ${type} exists`).toBeDefined();
      }
      expect(operation.document).not.toMatch(/\$(filter|ownerSet|objectStatus)\b/);
    },
  );

  it.each(operations.map((operation) => [operation.name, operation] as const))(
    '%s declares every id list as [Int!] (round three: the real API refuses [Int64String!])',
    (name, operation) => {
      const definition = definitionOf(operation.document);
      const uses = variableUses(definition);
      for (const variable of definition.variableDefinitions ?? []) {
        const places = uses.get(variable.variable.name.value) ?? [];
        if (!places.some((place) => isIdList(place.split('.').at(-1)!))) continue;
        expect(print(variable.type), `${name}: $${variable.variable.name.value}`).toMatch(/^\[Int!\]!?$/);
      }
      expect(operation.document, name).not.toContain('Int64String');
    },
  );

  it('writes modifiedAt_gte inline where DateTimeString is not confirmed, and as $since on projects', () => {
    const byName = new Map(operations.map((operation) => [operation.name, operation]));
    const since = (name: string) => {
      const operation = byName.get(name);
      if (!operation) throw new Error(`no operation ${name}`);
      return operation;
    };
    expect(since('projectsPageSince').document).toContain('modifiedAt_gte: $since');
    expect(since('projectsPageSince').variables).toMatchObject({ since: '2026-01-15T08:00:00' });
    for (const name of [
      'suppliersPageSince',
      'accountsPageSince',
      'employeesPageSince',
      'taxRulesPageSince',
    ]) {
      expect(since(name).document, name).toContain('modifiedAt_gte: "2026-01-15T08:00:00"');
      expect(since(name).document, name).not.toContain('$since');
    }
    // The TAX_RULE kinds' ids, as numbers, whatever a checkpoint stored.
    expect(since('taxRulesPageSince').variables).toMatchObject({ objectKindDbIds: [1001] });
  });

  it("the simulator's id-list filters are [Int!], and every filter keeps dbId_in", () => {
    const filters = Object.values(schema.getTypeMap()).filter(
      (type): type is GraphQLInputObjectType =>
        type instanceof GraphQLInputObjectType && type.name.endsWith('_Filter'),
    );
    expect(filters.length).toBeGreaterThan(10);
    for (const filter of filters) {
      const fields = filter.getFields();
      expect(Object.keys(fields), filter.name).toContain('dbId_in');
      for (const [field, definition] of Object.entries(fields)) {
        if (isIdList(field)) expect(String(definition.type), `${filter.name}.${field}`).toBe('[Int!]');
      }
    }
  });

  it.each(readOperations.map((operation) => [operation.name, operation] as const))(
    '%s runs against the simulator',
    async (name, operation) => {
      // An example delta cursor the simulator never issued would be refused: read from the start
      // (`deltaAfter`, or `p<i>_deltaAfter` in a merged request).
      const variables = Object.fromEntries(
        Object.entries(operation.variables).map(([key, value]) => [
          key,
          /(^|_)deltaAfter$/.test(key) ? null : value,
        ]),
      );
      const result = await gql(sim, SEED_TOKENS.owner1, operation.document, variables);
      expect(result.body.errors, `${name}: ${JSON.stringify(result.body.errors)}`).toBeUndefined();
      expect(result.status).toBe(200);
    },
  );
});
