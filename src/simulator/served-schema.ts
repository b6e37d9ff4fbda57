/**
 * The schema the simulator serves, and two switches for testing the client's live schema check:
 * - introspection on or off. The real API answers introspection (H: clients introspect it); a
 *   server with introspection disabled answers (A) as graphql-js's NoSchemaIntrospectionCustomRule
 *   does — a validation error in `errors[]`, HTTP 400, code GRAPHQL_VALIDATION_FAILED — in
 *   Xledger's error shape (top-level `code`, the same in extensions.code).
 * - a variant with fields removed (e.g. Supplier.email), as if Xledger had dropped them: requests
 *   asking for them fail validation, and introspection no longer lists them.
 */
import {
  GraphQLInputObjectType,
  GraphQLInterfaceType,
  GraphQLObjectType,
  NoSchemaIntrospectionCustomRule,
  validate,
  validateSchema,
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
} from 'graphql';
import { buildSimulatorSchema } from './resolvers';

export interface RemovedField {
  type: string;
  field: string;
}

export class SchemaVariantError extends Error {
  override name = 'SchemaVariantError';
}

export class ServedSchema {
  private schema: GraphQLSchema;
  private removed: RemovedField[];

  constructor(options: { introspection?: boolean; removeFields?: readonly RemovedField[] } = {}) {
    this.introspection = options.introspection ?? true;
    this.removed = [];
    this.schema = buildSimulatorSchema();
    for (const removal of options.removeFields ?? []) this.removeField(removal);
  }

  /** Whether introspection (__schema, __type) is answered. */
  introspection: boolean;

  /** The schema requests are validated and executed against now. */
  get current(): GraphQLSchema {
    return this.schema;
  }

  /**
   * Introspection errors for a document when introspection is off; [] when it may run. One per
   * `__schema` / `__type` field, as servers that disable introspection report it (graphql-js's
   * rule also flags every nested field of an introspection type).
   */
  introspectionRefusal(document: DocumentNode): readonly GraphQLError[] {
    if (this.introspection) return [];
    return validate(this.schema, document, [NoSchemaIntrospectionCustomRule]).filter((error) =>
      /"__(schema|type)"/.test(error.message),
    );
  }

  /**
   * Serves the schema without `type.field` (and without every field removed before). The
   * variant is a freshly built schema whose field maps lose the entries before first use:
   * graphql-js reads a type's fields from the one map getFields() returns, for validation,
   * execution and introspection alike.
   */
  removeField(removal: RemovedField): void {
    const next = buildSimulatorSchema();
    for (const each of [...this.removed, removal]) deleteField(next, each);
    const errors = validateSchema(next);
    if (errors.length > 0) {
      throw new SchemaVariantError(
        `removing ${removal.type}.${removal.field} leaves an invalid schema: ${errors.map((e) => e.message).join('; ')}`,
      );
    }
    this.removed = [...this.removed, removal];
    this.schema = next;
  }

  /** The full schema again, introspection on. */
  reset(): void {
    this.removed = [];
    this.introspection = true;
    this.schema = buildSimulatorSchema();
  }

  describe(): { introspection: boolean; removedFields: RemovedField[] } {
    return { introspection: this.introspection, removedFields: [...this.removed] };
  }
}

function deleteField(schema: GraphQLSchema, { type: typeName, field }: RemovedField): void {
  const type = schema.getType(typeName);
  if (!(
    type instanceof GraphQLObjectType ||
    type instanceof GraphQLInterfaceType ||
    type instanceof GraphQLInputObjectType
  )) {
    throw new SchemaVariantError(`type: no object, interface or input type named "${typeName}"`);
  }
  const fields = type.getFields() as Record<string, unknown>;
  if (!(field in fields)) throw new SchemaVariantError(`field: type ${typeName} has no field "${field}"`);
  if (Object.keys(fields).length === 1) {
    throw new SchemaVariantError(`field: ${field} is the only field of ${typeName}`);
  }
  delete fields[field];
}
