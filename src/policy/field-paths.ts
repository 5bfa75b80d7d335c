import {
  getNamedType,
  isAbstractType,
  isLeafType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

/** One field of an operation, where it sits in the response, and the action it is read under. */
export interface FieldPath {
  /** Field names from the root, list indices and aliases left out: `customers.edges.node.name`. */
  path: string;
  /** The type the field belongs to, and its name. */
  type: string;
  field: string;
  action: string;
  leaf: boolean;
}

const cache = new WeakMap<DocumentNode, Map<string | null, readonly FieldPath[]>>();

/**
 * The guarded fields an operation reads, from its document alone: a scalar under its type's read
 * action, a relation under the action that decides it. Computed once per document (the parser's
 * cache hands back the same document for the same text), so recording what a request read costs
 * nothing per field at run time. Fields whose action depends on their arguments (`node(id:)`) are
 * left to the gate, which notes them when it decides.
 */
export function fieldPathsOf(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): readonly FieldPath[] {
  let byOperation = cache.get(document);
  if (!byOperation) cache.set(document, (byOperation = new Map()));
  const key = operationName ?? null;
  let found = byOperation.get(key);
  if (!found) byOperation.set(key, (found = walkOperation(schema, document, operationName)));
  return found;
}

function walkOperation(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): FieldPath[] {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);

  const out = new Map<string, FieldPath>();
  const walk = (selections: SelectionSetNode, type: GraphQLCompositeType, prefix: string): void => {
    for (const selection of selections.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT || selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (!fragment) continue;
        const on = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : type;
        if (on && (isObjectType(on) || isAbstractType(on))) walk(fragment.selectionSet, on, prefix);
        continue;
      }
      const name = selection.name.value;
      // meta fields (__typename) are in no type's fields, and a union has none
      const field = 'getFields' in type ? type.getFields()[name] : undefined;
      if (!field) continue;
      const path = prefix ? `${prefix}.${name}` : name;
      const returned = getNamedType(field.type);
      const leaf = isLeafType(returned);
      const action = actionOf(field.extensions.action, leaf, type);
      if (action) out.set(`${path} ${action}`, { path, type: type.name, field: name, action, leaf });
      if (selection.selectionSet && !leaf) walk(selection.selectionSet, returned as GraphQLCompositeType, path);
    }
  };
  walk(operation.selectionSet, root, '');
  return [...out.values()];
}

/** The action a field is read under: its own, or for a public scalar (an id) its type's read action. */
function actionOf(declared: unknown, leaf: boolean, type: GraphQLCompositeType): string | undefined {
  if (typeof declared === 'string' && declared !== 'public') return declared;
  const read = type.extensions.readAction;
  return leaf && declared === 'public' && typeof read === 'string' ? read : undefined;
}
