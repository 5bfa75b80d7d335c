import { isObjectType, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLField, type GraphQLSchema } from 'graphql';

/**
 * Plain fields: fields exposed as their record's own property of the same name (`t.expose…`) that
 * are either public (an edge's node, never wrapped by the gate) or scalars read under their type's
 * read action. The gate's whole effect on such a scalar is its type-level decision: denied, the
 * field fails; hiding or masking it (privacy obligations name personal fields), it is null or
 * masked. When a request's decisions do neither for any plain scalar its document selects, every
 * plain field is only its property, and an executor may read it without calling its resolver: the
 * records reach it only through fields the gate decided. In every other case the fields run
 * through the gate's wrapper.
 */
export interface PlainFields {
  /** Per read action, the plain scalars the document selects under it (what the request's decisions must leave untouched). */
  readonly leaves: readonly { action: string; fields: readonly string[] }[];
  /** Every plain field the document selects. */
  readonly fields: readonly GraphQLField<unknown, unknown>[];
}

/**
 * The plain fields a document selects (in any of its operations and fragments) on object types;
 * with `personal: false`, leaving out personal ones (those privacy obligations most often mask).
 */
export function plainFieldsOf(schema: GraphQLSchema, document: DocumentNode, { personal = true } = {}): PlainFields {
  const byAction = new Map<string, Set<string>>();
  const fields = new Set<GraphQLField<unknown, unknown>>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const field = typeInfo.getFieldDef();
        // selected through an interface, the object type's own field is another: it keeps its resolver
        if (!field?.extensions.plain || !isObjectType(typeInfo.getParentType())) return;
        if (!personal && field.extensions.personal) return;
        fields.add(field);
        const action = field.extensions.action as string;
        if (action === 'public') return;
        let names = byAction.get(action);
        if (!names) byAction.set(action, (names = new Set()));
        names.add(field.name);
      },
    }),
  );
  return { leaves: [...byAction].map(([action, names]) => ({ action, fields: [...names] })), fields: [...fields] };
}

/** What `make` returns when built while these fields have no resolver; they have theirs back once it returns. */
export function withoutResolvers<T>(fields: readonly GraphQLField<unknown, unknown>[], make: () => T): T {
  const resolvers = fields.map((field) => field.resolve);
  for (const field of fields) field.resolve = undefined;
  try {
    return make();
  } finally {
    fields.forEach((field, i) => (field.resolve = resolvers[i]));
  }
}
