/**
 * Several queries of the catalogue (operations.ts) as one request: Xledger charges per request.
 */
import {
  Kind,
  OperationTypeNode,
  parse,
  print,
  stripIgnoredCharacters,
  visit,
  type FieldNode,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from 'graphql';

/** One query of a merged request: a catalogue document and the variables it is sent with. */
export interface QueryPart {
  document: string;
  variables: Record<string, unknown>;
}

/** Several catalogue queries as one document, and how to take its answer apart again. */
export interface MergedQuery {
  name: string;
  document: string;
  variables: Record<string, unknown>;
  /** The prefix of part `index`'s response keys (aliases) and error paths. */
  prefix(index: number): string;
}

/**
 * Several queries of the catalogue sent as one request (Xledger charges per request): each
 * part's root fields are aliased `p<i>_<alias or field>` and its variables renamed
 * `p<i>_<name>`, so parts never collide, and each part's answer is the response keys with its
 * prefix. Only queries, without fragments, as every catalogue query is; the parts are unchanged
 * otherwise, so the merged document is valid wherever its parts are.
 */
export function mergeQueries(parts: readonly QueryPart[]): MergedQuery {
  const prefix = (index: number) => `p${index}_`;
  const names: string[] = [];
  const variableDefinitions: VariableDefinitionNode[] = [];
  const selections: FieldNode[] = [];
  const variables: Record<string, unknown> = {};
  parts.forEach((part, index) => {
    const definitions = parse(part.document).definitions;
    const operation = definitions[0];
    if (
      definitions.length !== 1 ||
      operation?.kind !== Kind.OPERATION_DEFINITION ||
      operation.operation !== OperationTypeNode.QUERY
    ) {
      throw new Error('only single queries without fragments can be merged');
    }
    names.push(operation.name?.value ?? 'query');
    const renamed: OperationDefinitionNode = visit(operation, {
      Variable: (node) => ({ ...node, name: { ...node.name, value: prefix(index) + node.name.value } }),
    });
    variableDefinitions.push(...(renamed.variableDefinitions ?? []));
    for (const selection of renamed.selectionSet.selections) {
      if (selection.kind !== Kind.FIELD) throw new Error('only fields can be merged at the root');
      const responseKey = selection.alias?.value ?? selection.name.value;
      selections.push({ ...selection, alias: { kind: Kind.NAME, value: prefix(index) + responseKey } });
    }
    for (const definition of operation.variableDefinitions ?? []) {
      const name = definition.variable.name.value;
      if (name in part.variables) variables[prefix(index) + name] = part.variables[name];
    }
  });
  const name = `merged_${names.join('_')}`;
  // Without indentation: the document is sent with every request, and Xledger charges per MB.
  const document = stripIgnoredCharacters(
    print({
      kind: Kind.DOCUMENT,
      definitions: [
        {
          kind: Kind.OPERATION_DEFINITION,
          operation: OperationTypeNode.QUERY,
          name: { kind: Kind.NAME, value: name },
          variableDefinitions,
          selectionSet: { kind: Kind.SELECTION_SET, selections },
        },
      ],
    }),
  );
  return { name, document, variables, prefix };
}
