import { parse, validate, type GraphQLSchema } from 'graphql';
import { adaptStream, type OmittedField } from '../datatypes/optional-fields';
import { dataTypes } from '../datatypes/registry';
import type { StreamDefinition } from '../datatypes/stream';

/**
 * Which optional fields of the catalogue's streams a live schema lacks: each is asked alone, in
 * the shape its stream's pages ask it (`<rootField> { edges { node { <field> } } }`), and
 * validated with graphql-js. A field the schema does not have (or whose subselection it does not
 * fit) is left out of the tenant's queries; a stream's required fields are validated with the
 * rest of the catalogue and still refuse the tenant.
 */
export function omittedOptionalFields(schema: GraphQLSchema): OmittedField[] {
  const omitted: OmittedField[] = [];
  for (const stream of allStreams()) {
    for (const [field, selection] of Object.entries(stream.optionalFields ?? {})) {
      const document = parse(
        `query optionalField { ${stream.rootField} { edges { node { ${selection} } } } }`,
      );
      // Only the field itself is judged: arguments of the root field are the catalogue's business.
      const errors = validate(schema, document).filter((error) => !/argument/i.test(error.message));
      if (errors.length > 0) omitted.push({ stream: stream.name, field });
    }
  }
  return omitted;
}

/** Every stream of the registry, once, as a tenant without `omitted` reads it. */
export function adaptedStreams(omitted: readonly OmittedField[]): Map<string, StreamDefinition> {
  return new Map(allStreams().map((stream) => [stream.name, adaptStream(stream, omitted)]));
}

function allStreams(): StreamDefinition[] {
  const byName = new Map<string, StreamDefinition>();
  for (const stream of dataTypes.flatMap((type) => type.streams)) byName.set(stream.name, stream);
  return [...byName.values()];
}
