// Loading ahead: when a field returns a list of records, the gate resolves the batched to-one
// relations the query selects on them (`batch` on the field: `Transaction.product`,
// `Product.issuer`…) for all of them at once, level by level, before their fields run. Each
// relation field then hands over its record (or its error) without a promise per row. Each
// relation is decided as its own field would decide it; what cannot be loaded ahead (denied,
// selected under a directive or with arguments) is left to its field, row by row.

import {
  getNamedType,
  isObjectType,
  Kind,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from 'graphql';
import type { ResourceType } from '../resources.ts';
import type { GateContext } from './gate.ts';
import type { Permit } from './permit.ts';

/** What loading ahead needs of a field the gate wraps (gate.ts ObjectField). */
export interface AheadField {
  readonly action: unknown;
  readonly resource: ResourceType | undefined;
  /** The type of the records it returns, and whether they come as a connection's page (under `edges.node`). */
  readonly rows: { type: string; page: boolean };
  /** Set for a batched relation: resolves it for many parent records at once (a record, null or an Error each, in order). */
  readonly batch?: (parents: readonly object[], args: object, context: GateContext) => Promise<readonly unknown[]>;
}

/** The args a resolver gets with the gate's permit (gate.ts withPermit). */
type ArgsWith = (args: object, permit: Permit) => object;

/** A batched relation's outcome for one parent record, resolved ahead. */
type Ahead = { value: unknown } | { error: unknown };

// per request (its context), per batched relation: each parent record's outcome
const aheadByRequest = new WeakMap<object, Map<AheadField, WeakMap<object, Ahead>>>();

/** The outcomes a batched relation was resolved ahead to in this request, by parent record. */
export function aheadOf(context: unknown, field: AheadField): WeakMap<object, Ahead> | undefined {
  return aheadByRequest.get(context as object)?.get(field);
}

/**
 * Resolves the batched relations the query selects on a list's records for all of them at once
 * (one load per relation and level, as DataLoader would batch them), then the relations of those.
 * Each relation is decided as its own field would be; a relation that is
 * denied, or selected under a directive or through anything but plain selections, is left to its
 * field, which decides and resolves it row by row as ever.
 */
export async function loadAhead(context: GateContext, info: GraphQLResolveInfo, rows: AheadField['rows'], records: readonly object[], argsWith: ArgsWith): Promise<void> {
  const type = info.schema.getType(rows.type);
  if (!isObjectType(type)) return;
  let selections = info.fieldNodes.map((node) => node.selectionSet).filter((set) => set !== undefined);
  if (rows.page) selections = subSelections(subSelections(selections, 'edges', info) ?? [], 'node', info) ?? [];
  await loadRelations(context, info, type, records, selections, argsWith);
}

async function loadRelations(context: GateContext, info: GraphQLResolveInfo, type: GraphQLObjectType, parents: readonly object[], selections: readonly SelectionSetNode[], argsWith: ArgsWith): Promise<void> {
  if (parents.length === 0 || selections.length === 0) return;
  const fields = type.getFields();
  const loads: Promise<void>[] = [];
  // in the order the query selects them, so they are decided in the order their fields would be
  for (const name of selectedNames(selections, info)) {
    const field = fields[name];
    const gate = field?.extensions.gate as AheadField | undefined;
    if (!field || !gate?.batch) continue;
    const sub = subSelections(selections, name, info);
    if (!sub) continue;
    loads.push(loadRelation(context, info, gate, field.type, parents, sub, argsWith));
  }
  await Promise.all(loads);
}

async function loadRelation(context: GateContext, info: GraphQLResolveInfo, gate: AheadField, type: GraphQLOutputType, parents: readonly object[], sub: readonly SelectionSetNode[], argsWith: ArgsWith): Promise<void> {
  const { policy, signal } = context;
  if (signal?.aborted) return;
  let permit: Permit;
  try {
    permit = policy.permit(gate.action as string, gate.resource!);
  } catch {
    return; // denied: each field says so itself
  }
  const args = argsWith({}, permit);
  let byField = aheadByRequest.get(context);
  if (!byField) aheadByRequest.set(context, (byField = new Map()));
  // one map per request and relation: records of another list (or level) keep theirs
  let outcomes = byField.get(gate);
  if (!outcomes) byField.set(gate, (outcomes = new WeakMap()));
  let values: readonly unknown[];
  try {
    values = await gate.batch!(parents, args, context);
  } catch (error) {
    values = parents.map(() => error);
  }
  const related = new Set<object>();
  parents.forEach((parent, i) => {
    const value = values[i];
    if (value instanceof Error) return void outcomes.set(parent, { error: value });
    outcomes.set(parent, { value });
    if (value !== null && typeof value === 'object') related.add(value);
  });
  const named = getNamedType(type);
  if (isObjectType(named)) await loadRelations(context, info, named, [...related], sub, argsWith);
}

/** The names of the fields selected in these selection sets (through fragments), first selection first. */
function selectedNames(sets: readonly SelectionSetNode[], info: GraphQLResolveInfo): Set<string> {
  const names = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else if (info.fragments[selection.name.value]) visit(info.fragments[selection.name.value]!.selectionSet);
    }
  };
  for (const set of sets) visit(set);
  return names;
}

/**
 * The selection sets of the field `name` within these selection sets (through fragments), or
 * undefined when it is not selected, or selected with arguments or under a directive anywhere
 * (then its field decides for itself, as ever).
 */
function subSelections(sets: readonly SelectionSetNode[], name: string, info: GraphQLResolveInfo): SelectionSetNode[] | undefined {
  const found: SelectionSetNode[] = [];
  let plain = true;
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.directives?.length) {
        plain = false;
        continue;
      }
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value !== name) continue;
        if (selection.arguments?.length) plain = false;
        if (selection.selectionSet) found.push(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet);
      } else {
        const fragment = info.fragments[selection.name.value];
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  for (const set of sets) visit(set);
  return plain && found.length ? found : undefined;
}
