import { describe, expect, it } from 'vitest';
import { Kind, parse, validate, visit, type TypeNode } from 'graphql';
import { buildSimulatorSchema } from '../../src/simulator/resolvers';
import { postingOperations } from '../../src/xledger/gl-import';

/**
 * Every posting document the client can send, validated against the simulator's SDL (which
 * follows the public evidence), and declaring only variable types that are confirmed for the
 * real Xledger: a wrong type name makes the real API refuse the whole document. Id lists are
 * `[Int!]` (round three: the real API refused `[Int64String!]` for dbId_in).
 */
const CONFIRMED_VARIABLE_TYPES = new Set(['Int', 'String', 'ID', 'AddGLImportItemsInput']);

const schema = buildSimulatorSchema();
const operations = postingOperations();

function namedType(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type);
}

describe('posting operations', () => {
  it('lists the create, the look-up before a create and the outcome check', () => {
    expect(operations.map((operation) => operation.name).sort()).toEqual([
      'addGLImportItems',
      'addGLImportItemsWithFile',
      'checkImportOutcome',
      'findEarlierPosting',
    ]);
  });

  it.each(operations)('$name is valid against the simulator schema', ({ name, document }) => {
    const errors = validate(schema, parse(document)).map((error) => `${name}: ${error.message}`);
    expect(errors, `operation ${name}`).toEqual([]);
  });

  it.each(operations)('$name is named $name and declares only confirmed types', ({ name, document }) => {
    const ast = parse(document);
    const declared: string[] = [];
    const names: string[] = [];
    visit(ast, {
      OperationDefinition(node) {
        names.push(node.name?.value ?? '(anonymous)');
      },
      VariableDefinition(node) {
        declared.push(namedType(node.type));
      },
    });
    expect(names, `operation ${name}`).toEqual([name]);
    expect(
      declared.filter((type) => !CONFIRMED_VARIABLE_TYPES.has(type)),
      `operation ${name}`,
    ).toEqual([]);
  });

  it('declares the id list of the outcome check as [Int!], and each line sends invoiceAmount', () => {
    const byName = new Map(operations.map((operation) => [operation.name, operation]));
    expect(byName.get('checkImportOutcome')!.document).toContain('$lineDbIds: [Int!]');
    expect(byName.get('checkImportOutcome')!.variables.lineDbIds).toEqual([5001]);
    const inputs = byName.get('addGLImportItems')!.variables.inputs as Array<{
      node: Record<string, unknown>;
    }>;
    for (const input of inputs) expect(input.node).toHaveProperty('invoiceAmount', input.node.amount);
  });
});
