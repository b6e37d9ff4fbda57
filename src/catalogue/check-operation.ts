import {
  getVariableValues,
  Kind,
  parse,
  validate,
  visit,
  type ASTNode,
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { type CatalogueOperation } from './operations';

/** One operation of the catalogue validated against a schema (the live schema check, schema-check.ts). */

export interface SchemaMismatch {
  /** Where in the document: `suppliers.edges.node.email`, `suppliers(filter.modifiedAt_gte)`, `$since`. */
  path: string | null;
  /** graphql-js's message, e.g. `Cannot query field "email" on type "Supplier".` */
  message: string;
}

export interface OperationCheck {
  name: string;
  usedBy: string[];
  ok: boolean;
  mismatches: SchemaMismatch[];
}

/** Validates an operation's document, then (when it fits) its example variables. */
export function checkOperation(schema: GraphQLSchema, operation: CatalogueOperation): OperationCheck {
  const document = parse(operation.document);
  const labels = nodeLabels(document);
  const describe = (error: GraphQLError): SchemaMismatch => ({
    path: error.nodes?.map((node) => labels.get(node)).find((label) => label !== undefined) ?? null,
    message: error.message,
  });
  let mismatches = validate(schema, document).map(describe);
  if (mismatches.length === 0) {
    const definition = document.definitions.find(
      (node): node is OperationDefinitionNode => node.kind === Kind.OPERATION_DEFINITION,
    );
    const coerced = getVariableValues(schema, definition?.variableDefinitions ?? [], operation.variables);
    mismatches = (coerced.errors ?? []).map(describe);
  }
  return { name: operation.name, usedBy: operation.usedBy, ok: mismatches.length === 0, mismatches };
}

/**
 * A readable place for every node of a document: the field path by schema names
 * (`suppliers.edges.node.email`), an argument under its field (`suppliers(filter.modifiedAt_gte)`),
 * a variable definition as `$name`.
 */
function nodeLabels(document: DocumentNode): Map<ASTNode, string> {
  const labels = new Map<ASTNode, string>();
  visit(document, {
    enter(node, _key, _parent, _path, ancestors) {
      const chain = [...ancestors.filter((a): a is ASTNode => !Array.isArray(a) && 'kind' in a), node];
      const variable = chain.find((n) => n.kind === Kind.VARIABLE_DEFINITION);
      if (variable && variable.kind === Kind.VARIABLE_DEFINITION) {
        labels.set(node, `$${variable.variable.name.value}`);
        return;
      }
      const fields = chain.flatMap((n) => (n.kind === Kind.FIELD ? [n.name.value] : []));
      if (fields.length === 0) return;
      const argument = chain.find((n) => n.kind === Kind.ARGUMENT);
      if (argument && argument.kind === Kind.ARGUMENT) {
        const inner = chain.flatMap((n) => (n.kind === Kind.OBJECT_FIELD ? [n.name.value] : []));
        labels.set(node, `${fields.join('.')}(${[argument.name.value, ...inner].join('.')})`);
        return;
      }
      labels.set(node, fields.join('.'));
    },
  });
  return labels;
}
