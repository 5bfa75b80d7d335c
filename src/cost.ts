import {
  BREAK,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isCompositeType,
  isListType,
  Kind,
  visit,
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './data/page.ts';
import { clientError, codes } from './errors.ts';

/**
 * Items assumed in a list that has no `first` argument (`Customer.accounts`, `Product.disclosures`,
 * `Institution.licenses`, `Transaction.riskAlerts`…): more than the demo data holds for any one
 * record, so the estimate stays an upper bound for ordinary data.
 */
export const ASSUMED_LIST_SIZE = 10;

/**
 * The default budget, in response values. The README's queries cost at most about 110, a full page
 * of 100 transactions with their product, issuer and customer about 1,000, 100 customers each with
 * 20 transactions (id and amount) about 8,500; three nested pages of 100 (about 3 million) are
 * refused.
 */
export const DEFAULT_MAX_COST = 20_000;

/**
 * The most values (objects and scalars) a response to this document can hold: every selected field
 * counts once per object it is selected on, and a list multiplies what is selected inside it by its
 * length: the page size for the list of a paginated field (`first`, from the document or its
 * variables, default 20, at most 100 since a larger page is refused anyway), otherwise
 * ASSUMED_LIST_SIZE. Aliases and fragments count as what they select (fields selected twice under
 * one response key are one, as in execution); `@skip`/`@include` are honoured; on an interface or
 * union the costliest possible type counts. With several operations and no `operationName`, the
 * costliest operation counts. Meant for validated documents; it never throws on bad variables.
 */
export function estimateCost(document: DocumentNode, variables: Record<string, unknown> | null | undefined, schema: GraphQLSchema, operationName?: string | null): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations: OperationDefinitionNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    else if (definition.kind === Kind.OPERATION_DEFINITION && (!operationName || definition.name?.value === operationName)) operations.push(definition);
  }
  let cost = 0;
  for (const operation of operations) {
    const root = schema.getRootType(operation.operation);
    if (!root) continue;
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
    const estimate = new Estimate(schema, fragments, coerced.coerced ?? {});
    cost = Math.max(cost, estimate.unit(root, [operation.selectionSet], undefined));
  }
  return cost;
}

/** One walk over an operation: its fragments and coerced variables. */
class Estimate {
  /** Unit costs of selection sets already walked: a fragment spread many times is walked once. */
  private readonly memo = new WeakMap<SelectionSetNode, Map<string, number>>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly variables: Record<string, unknown>,
  ) {}

  /**
   * The cost of the selection sets merged on one object of `type`. `pageSize` is set when the object
   * came from a paginated field: it is then the length of the lists it holds (`edges`).
   */
  unit(type: GraphQLCompositeType, sets: readonly SelectionSetNode[], pageSize: number | undefined): number {
    const key = `${type.name}:${pageSize}`;
    const memo = sets.length === 1 ? this.memo.get(sets[0]!) : undefined;
    const known = memo?.get(key);
    if (known !== undefined) return known;
    let cost = 0;
    if (isAbstractType(type)) {
      cost = Math.max(0, ...this.schema.getPossibleTypes(type).map((possible) => this.unit(possible, sets, pageSize)));
    } else {
      for (const nodes of this.collect(type, sets).values()) cost += this.field(type, nodes, pageSize);
    }
    if (sets.length === 1) this.memo.set(sets[0]!, (memo ?? new Map()).set(key, cost));
    return cost;
  }

  /** One field's cost on one object of `parent`: its values, and what is selected inside them. */
  private field(parent: GraphQLObjectType, nodes: readonly FieldNode[], pageSize: number | undefined): number {
    const node = nodes[0]!;
    const definition = parent.getFields()[node.name.value];
    // __typename and introspection: their size is the schema's, not the data's
    if (!definition) return 1;
    const ownPage = definition.args.some((arg) => arg.name === 'first') ? this.pageSize(definition, node) : undefined;
    let items = 1;
    for (let type = getNullableType(definition.type); isListType(type); type = getNullableType(type.ofType)) {
      items *= ownPage ?? pageSize ?? ASSUMED_LIST_SIZE;
    }
    const named = getNamedType(definition.type);
    if (!isCompositeType(named)) return items;
    const sets = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
    return items * (1 + this.unit(named, sets, ownPage));
  }

  private pageSize(definition: GraphQLField<unknown, unknown>, node: FieldNode): number {
    let first: unknown;
    try {
      first = getArgumentValues(definition, node, this.variables).first;
    } catch {
      // invalid arguments fail execution before any resolver runs; count the default
    }
    if (typeof first !== 'number') return DEFAULT_PAGE_SIZE;
    return Math.min(Math.max(first, 0), MAX_PAGE_SIZE);
  }

  /** Fields by response key, as execution collects them on an object of `type`. */
  private collect(type: GraphQLObjectType, sets: readonly SelectionSetNode[], into = new Map<string, FieldNode[]>(), seen = new Set<string>()): Map<string, FieldNode[]> {
    for (const set of sets) {
      for (const selection of set.selections) {
        if (selection.directives?.length && !this.included(selection)) continue;
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          const same = into.get(key);
          if (same) same.push(selection);
          else into.set(key, [selection]);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (this.applies(selection.typeCondition?.name.value, type)) this.collect(type, [selection.selectionSet], into, seen);
        } else {
          const name = selection.name.value;
          const fragment = this.fragments.get(name);
          if (!fragment || seen.has(name) || !this.applies(fragment.typeCondition.name.value, type)) continue;
          seen.add(name);
          this.collect(type, [fragment.selectionSet], into, seen);
        }
      }
    }
    return into;
  }

  private applies(condition: string | undefined, type: GraphQLObjectType): boolean {
    if (!condition || condition === type.name) return true;
    const conditionType = this.schema.getType(condition);
    return conditionType !== undefined && isAbstractType(conditionType) && this.schema.isSubType(conditionType, type);
  }

  private included(node: SelectionNode): boolean {
    return (
      getDirectiveValues(GraphQLSkipDirective, node, this.variables)?.if !== true &&
      getDirectiveValues(GraphQLIncludeDirective, node, this.variables)?.if !== false
    );
  }
}

/**
 * `estimateCost`, remembered for a document whose cost no variable can change (Yoga's parser cache
 * hands back the same document for the same text): most documents set their page sizes in the text.
 */
function costOf(document: DocumentNode, variables: Record<string, unknown> | null | undefined, schema: GraphQLSchema, operationName?: string | null): number {
  let fixed = fixedCosts.get(document);
  if (fixed === undefined) fixedCosts.set(document, (fixed = variablesChangeCost(document) ? null : new Map()));
  if (fixed === null) return estimateCost(document, variables, schema, operationName);
  let cost = fixed.get(operationName ?? '');
  if (cost === undefined) fixed.set(operationName ?? '', (cost = estimateCost(document, variables, schema, operationName)));
  return cost;
}

/** Per document: null when variables change its cost, else its cost by operation name. */
const fixedCosts = new WeakMap<DocumentNode, Map<string, number> | null>();

/** Whether a variable sets a page size (`first`) or an `@skip`/`@include` condition: all a cost depends on besides the text. */
function variablesChangeCost(document: DocumentNode): boolean {
  let changes = false;
  const usesVariable = (node: ASTNode) => {
    let found = false;
    visit(node, {
      Variable() {
        found = true;
        return BREAK;
      },
    });
    return found;
  };
  visit(document, {
    Argument(node) {
      if (node.name.value === 'first' && usesVariable(node)) changes = true;
    },
    Directive(node) {
      if ((node.name.value === 'skip' || node.name.value === 'include') && usesVariable(node)) changes = true;
      return false;
    },
  });
  return changes;
}

/** The cost budget of one request. */
export interface CostLimitOptions {
  /** The most response values a document may ask for (see estimateCost). @default DEFAULT_MAX_COST */
  maxCost?: number;
}

/**
 * Refuses a document whose estimated cost exceeds the budget before anything executes (no
 * resolver, no SQL): `BAD_USER_INPUT`, HTTP 400, with `cost` and `limit` in the extensions so a
 * client knows how far to shrink its pages. Runs at execution because page sizes may come from
 * variables, which validation (and its cache) never sees.
 */
export function useCostLimit({ maxCost = DEFAULT_MAX_COST }: CostLimitOptions = {}): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const cost = costOf(args.document, args.variableValues, args.schema, args.operationName);
      if (cost <= maxCost) return;
      setResultAndStopExecution({
        errors: [
          clientError('BAD_USER_INPUT', `The query may return ${cost} values, more than the limit of ${maxCost}: ask for smaller pages or fewer nested lists`, {
            cost,
            limit: maxCost,
            http: { status: codes.BAD_USER_INPUT.status },
          }),
        ],
      });
    },
  };
}
