/**
 * Every GraphQL document the client can send comes from one catalogue (src/xledger/operations.ts).
 * Each must validate against the simulator's SDL — the schema that stands in for Xledger's — with
 * its example variables, and the read operations must declare only confirmed type names and run.
 * The same check can be pointed at a tenant's live, introspected schema.
 */
import { getVariableValues } from 'graphql/execution/values';
import { Kind, parse, typeFromAST, validate, type OperationDefinitionNode, type TypeNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataTypes } from '../../src/datatypes/registry';
import {
  buildSimulatorSchema,
  SEED_TOKENS,
  startSimulator,
  type RunningSimulator,
} from '../../src/simulator/index';
import { postingOperations } from '../../src/xledger/gl-import';
import {
  CONFIRMED_TYPE_NAMES,
  introspectionQuery,
  listOperations,
  POSTING_USER,
  queriedFields,
  scopeProbe,
} from '../../src/xledger/operations';
import { gql } from './helpers';

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

  it('says what needs each operation: data types, and invoices for posting', () => {
    const known = [...dataTypes.map((type) => type.name), POSTING_USER];
    for (const operation of operations) {
      expect(operation.usedBy.length, operation.name).toBeGreaterThan(0);
      for (const user of operation.usedBy) expect(known, operation.name).toContain(user);
    }
    const usedBy = (name: string) => operations.find((operation) => operation.name === name)?.usedBy;
    expect(usedBy('suppliersPage')).toEqual(['suppliers']);
    expect(usedBy('assetsPage')).toEqual(['fixedAssets']);
    expect(usedBy('objectKindsLookup')).toEqual(['vatCodes']);
    expect(usedBy('entityTree')).toEqual(dataTypes.map((type) => type.name));
    for (const name of postingNames) expect(usedBy(name)).toEqual([POSTING_USER]);
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

  it.each(readOperations.map((operation) => [operation.name, operation] as const))(
    '%s declares only confirmed type names and writes enums and filters inline',
    (name, operation) => {
      const definition = definitionOf(operation.document);
      for (const variable of definition.variableDefinitions ?? []) {
        const type = namedType(variable.type);
        expect(
          CONFIRMED_TYPE_NAMES as readonly string[],
          `${name}: $${variable.variable.name.value}: ${type}`,
        ).toContain(type);
        expect(typeFromAST(schema, variable.type as never), `${name}: ${type} exists`).toBeDefined();
      }
      expect(operation.document).not.toMatch(/\$(filter|ownerSet|objectStatus)\b/);
    },
  );

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
