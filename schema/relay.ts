import type { ObjectRef } from '@pothos/core';
import type { GatewayContext } from '../src/context.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, toCursor, type Page } from '../src/data/page.ts';
import { badInput, notFound } from '../src/errors.ts';
import { parseGlobalId, type NodeType } from '../src/ids.ts';
import { permitOf, type Action } from '../src/policy/gate.ts';
import type { Permit } from '../src/policy/permit.ts';
import { builder } from './builder.ts';

const NODE_TYPE = Symbol('fingate.nodeType');

/** Global object identification: every row with an id is reachable through `node(id:)`. */
export const NodeRef = builder.interfaceRef<{ id: string }>('Node').implement({
  action: 'public',
  resolveType: (value) => (value as { [NODE_TYPE]?: NodeType })[NODE_TYPE] ?? null,
  fields: (t) => ({ id: t.exposeID('id') }),
});


/** How a type's records are read by key, under a permit (`node(id:)`, to-one relations). */
export interface NodeSource<T> {
  /** The action that reads this type; `node(id:)` asks the gate for exactly this one. */
  action: Action;
  load: (context: GatewayContext, permit: Permit, key: string) => Promise<T | null>;
}
const nodeSources = new Map<NodeType, NodeSource<object>>();

/** Makes a type reachable through `node(id:)` under the same action as its own root field. */
export function registerNode<T extends object>(type: NodeType, source: NodeSource<T>): void {
  nodeSources.set(type, source as NodeSource<object>);
}

/** The action `node(id:)` needs: the one that reads the type its id names. */
function nodeAction(args: Record<string, unknown>): Action {
  const parsed = parseGlobalId(String(args.id));
  const action = parsed && nodeSources.get(parsed.type)?.action;
  if (!action) throw badInput('id', 'is not a valid id');
  return action;
}

/**
 * A to-one relation, as a field's `resolve` and `batch`: the record its parent names by key, read
 * under the gate's permit through `load` (a request loader). With `type`, a key that finds nothing
 * is `NOT_FOUND` (it does not exist, or the permit does not cover it); without, a nullable
 * relation, and a parent without a key has none. The batch, for a list's records at once, loads
 * each distinct key once and answers every parent from one settled lot: no promise per parent.
 */
export function toOne<Parent, T>(keyOf: (parent: Parent) => string, load: NodeSource<T>['load'], type: NodeType): Relation<Parent, T>;
export function toOne<Parent, T>(keyOf: (parent: Parent) => string | null, load: NodeSource<T>['load']): Relation<Parent, T | null>;
export function toOne<Parent, T>(keyOf: (parent: Parent) => string | null, load: NodeSource<T>['load'], type?: NodeType): Relation<Parent, T | null> {
  const found = (row: T | null) => {
    if (row === null && type) throw notFound(type);
    return row;
  };
  return {
    resolve: (parent, args, context) => {
      const key = keyOf(parent);
      return key === null ? null : load(context, permitOf(args), key).then(found);
    },
    batch: async (parents, args, context) => {
      const permit = permitOf(args);
      const keys = parents.map(keyOf);
      const distinct = [...new Set(keys)].filter((key) => key !== null);
      const settled = await Promise.allSettled(distinct.map((key) => load(context, permit, key)));
      const byKey = new Map(distinct.map((key, i) => [key, settled[i]!]));
      return keys.map((key) => {
        if (key === null) return null;
        const outcome = byKey.get(key)!;
        if (outcome.status === 'rejected') return outcome.reason;
        return outcome.value === null && type ? notFound(type) : outcome.value;
      });
    },
  };
}

/** A to-one relation's field options (`toOne`). */
interface Relation<Parent, T> {
  resolve: (parent: Parent, args: object, context: GatewayContext) => Promise<T> | T;
  batch: (parents: readonly Parent[], args: object, context: GatewayContext) => Promise<readonly unknown[]>;
}

/** The row, or `NOT_FOUND` when it does not exist or the permit does not cover it (the same answer). */
export function existing<T>(row: Promise<T | null>, type: NodeType): Promise<T> {
  return row.then((found) => {
    if (found === null) throw notFound(type);
    return found;
  });
}

builder.queryField('node', (t) =>
  t.field({
    type: NodeRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    action: nodeAction,
    resolve: async (_root, args, context) => {
      const { type, key } = parseGlobalId(args.id)!; // nodeAction refused anything else
      const row = await existing(nodeSources.get(type)!.load(context, permitOf(args), key), type);
      return Object.assign(row, { [NODE_TYPE]: type }) as unknown as { id: string };
    },
  }),
);

export const PageInfoRef = builder.objectRef<{ hasNextPage: boolean; endCursor: string | null }>('PageInfo').implement({
  action: 'public',
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

/**
 * The `XConnection` and `XEdge` types of a node type. A field returning the connection is decided
 * under the node type's read action; the connection and its edges only arrange the rows that
 * permit selected, so their own fields are public.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Pothos refs carry the builder's types
export function connectionOf<T extends { id: string }>(name: string, node: ObjectRef<any, T>) {
  const edge = builder.objectRef<{ node: T }>(`${name}Edge`).implement({
    action: 'public',
    fields: (t) => ({
      // the connection's field decided these rows under the node type's read action
      node: t.expose('node', { type: node, action: 'public' }),
      cursor: t.string({ resolve: (edge) => toCursor(edge.node.id) }),
    }),
  });
  return builder.objectRef<Page<T>>(`${name}Connection`).implement({
    action: 'public',
    connectionOf: name,
    fields: (t) => ({
      // an edge is the object its node is a property of, so an executor reads it without a call per row
      edges: t.field({ type: [edge], resolve: (page) => page.rows.map((node) => ({ node })) }),
      pageInfo: t.field({
        type: PageInfoRef,
        resolve: (page) => ({ hasNextPage: page.hasNextPage, endCursor: page.rows.length ? toCursor(page.rows.at(-1)!.id) : null }),
      }),
      totalCount: t.int({ resolve: (page) => page.totalCount() }),
    }),
  });
}

/** The `first` and `after` arguments of a connection field. */
export const pageArgs = builder.args((t) => ({
  first: t.int({ description: `Page size: default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}` }),
  after: t.string({ description: 'The endCursor of the previous page' }),
}));
