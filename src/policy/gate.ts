import SchemaBuilder, {
  BasePlugin,
  PothosSchemaError,
  type FieldNullability,
  type InputFieldMap,
  type PothosOutputFieldConfig,
  type PothosTypeConfig,
  type SchemaTypes,
  type TypeParam,
} from '@pothos/core';
import { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { notFound } from '../errors.ts';
import { isResourceType, type ResourceType } from '../resources.ts';
import { matches } from './condition.ts';
import { aheadOf, loadAhead, type AheadField } from './load-ahead.ts';
import type { Permit } from './permit.ts';
import type { RequestPolicy } from './request-policy.ts';
import type { Catalogue } from './types.ts';
import { ACTION_PATTERN } from './vocabulary.ts';

/**
 * An action a field or type declares: `<resource>.<verb>` (e.g. `customer.read`, `product.purchase`),
 * or `public` for what exposes nothing a policy guards (connection plumbing, a record's own id).
 */
export type Action = `${string}.${string}` | 'public';

/** An action that depends on the field's arguments (e.g. `node(id:)` reads what its id names). */
export type ActionOf = Action | ((args: Record<string, unknown>) => Action);

/**
 * How the gate finds the records of a type again: their keys, and how to read them under a permit.
 * A write's payload is read again under the caller's read permit for the type (the write's own
 * permit covers what it acts on, not what it may show).
 */
export interface RecordSource<Row = unknown, Context = unknown> {
  /** The record's key (default: its `id`). */
  key?(row: Row): string;
  /** Reads records by key under `permit` (null where it does not cover them). */
  load?(context: Context, permit: Permit, keys: readonly string[]): Promise<readonly (Row | null)[]>;
  /** For records that are not rows: the attributes a permit's row condition is matched against. */
  attributes?(row: Row): Readonly<Record<string, unknown>>;
}

/** The slot in a field's args where the gate hands the resolver its permit. */
const PERMIT = Symbol('fingate.permit');

/** The permit the gate attached to this field's arguments. Throws (fails closed) when there is none. */
export function permitOf(args: object): Permit {
  const permit = (args as { [PERMIT]?: Permit })[PERMIT];
  if (!permit) throw new Error('field resolved without a permit from the gate');
  return permit;
}

/** What the gate needs from the request context. */
export interface GateContext {
  policy: RequestPolicy;
  /** Set when the request has a deadline: once it aborts, no field that returns records starts. */
  signal?: AbortSignal;
}

const pluginName = 'gate';

declare global {
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      gate: PothosGatePlugin<Types>;
    }
    interface ObjectTypeOptions<Types extends SchemaTypes = SchemaTypes, Shape = unknown> {
      /**
       * The action that reads this type's records (`customer.read`), or `public`. Its scalar fields
       * are read under it, and every field returning its records is decided under it.
       */
      action?: Action;
      /** The resource type its records are, for policies (required with a read action). */
      resource?: ResourceType;
      /** How to find its records again (payloads of writes; `node(id:)`). */
      records?: RecordSource<Shape, Types['Context']>;
      /** For a connection type: the type of its nodes, whose read action decides the connection. */
      connectionOf?: string;
    }
    interface InterfaceTypeOptions<Types extends SchemaTypes = SchemaTypes, Shape = unknown> {
      action?: Action;
    }
    interface FieldOptions<
      Types extends SchemaTypes = SchemaTypes,
      ParentShape = unknown,
      Type extends TypeParam<Types> = TypeParam<Types>,
      Nullable extends FieldNullability<Type> = FieldNullability<Type>,
      Args extends InputFieldMap = InputFieldMap,
      ResolveShape = unknown,
      ResolveReturnShape = unknown,
    > {
      /**
       * What this field does, for the policy engine. Default: a scalar is read under its type's
       * action, a field returning records under their type's read action.
       */
      action?: ActionOf;
      /** The resource whose rows this field's own action covers, when not its records' (a write: `Account`). */
      resource?: ResourceType;
      /** A personal-information category (e.g. `identityNumber`): the privacy policy masks or hides by it. */
      personal?: string;
      /**
       * For a to-one relation without arguments: resolves it for many parent records at once (each
       * parent's record, null, or an Error, in order), as its resolver would one by one. When a
       * field returns a list, the gate calls it for every record of the list before their fields
       * run, and each relation field then hands over its record (schema/relay.ts `toOne`).
       */
      batch?: (parents: readonly ParentShape[], args: object, context: Types['Context']) => Promise<readonly unknown[]>;
    }
  }
}

/** What the gate decides about one object-returning field, fixed when the schema is built. */
interface ObjectField {
  action: ActionOf;
  resource: ResourceType | undefined;
  /** The read action of the records it returns; when it differs from `action`, they are read again under it. */
  read: { action: string; resource: ResourceType; records: RecordSource | undefined } | undefined;
  mutation: boolean;
  /** The type of the records it returns, and whether they come as a connection's page (under `edges.node`). */
  rows: { type: string; page: boolean };
  /** A relation's batch (FieldOptions.batch), which `loadAhead` calls. */
  batch?: AheadField['batch'];
}

/**
 * Wraps every field at schema build time. A field with no action makes the build fail; so does a
 * type whose records are returned without a read action. Object-returning fields get a permit for
 * their action (denied: the field errors; allowed: the resolver gets it) and report the records
 * they return; scalar fields consult the precomputed hidden/masked set of their type, one map
 * lookup when nothing applies.
 */
export class PothosGatePlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override onTypeConfig(typeConfig: PothosTypeConfig): PothosTypeConfig {
    if (typeConfig.kind !== 'Object' && typeConfig.kind !== 'Interface') return typeConfig;
    const { action, resource, connectionOf } = typeConfig.pothosOptions as { action?: Action; resource?: ResourceType; connectionOf?: string };
    if (action && action !== 'public') {
      if (!ACTION_PATTERN.test(action)) throw new PothosSchemaError(`${typeConfig.name}: "${action}" is not an action (resource.verb)`);
      if (!resource || !isResourceType(resource)) throw new PothosSchemaError(`${typeConfig.name} reads its records under ${action} but names no resource type`);
    }
    return { ...typeConfig, extensions: { ...typeConfig.extensions, readAction: action, resource, connectionOf } };
  }

  override onOutputFieldConfig(fieldConfig: PothosOutputFieldConfig<Types>): PothosOutputFieldConfig<Types> {
    const where = `${fieldConfig.parentType}.${fieldConfig.name}`;
    const options = fieldConfig.pothosOptions;
    if (typeof options.action === 'string' && options.action !== 'public' && !ACTION_PATTERN.test(options.action)) {
      throw new PothosSchemaError(`${where}: "${options.action}" is not an action (resource.verb)`);
    }
    const parent = this.typeOptions(fieldConfig.parentType);
    if (options.personal !== undefined && !parent.resource) throw new PothosSchemaError(`${where} is personal, but ${fieldConfig.parentType} names no resource type`);
    const extensions = { ...fieldConfig.extensions, ...(options.personal ? { personal: options.personal } : {}) };
    if (isLeaf(fieldConfig.type)) {
      const action = options.action ?? parent.action;
      if (!action) throw new PothosSchemaError(`${where} declares no policy action (set action, or 'public')`);
      // public, or read under its type's action: see plain-fields.ts
      const plain = exposed(fieldConfig) && (action === 'public' || options.action === undefined);
      return { ...fieldConfig, extensions: { ...extensions, action, ...(plain ? { plain: true } : {}) } };
    }
    const field = this.objectField(fieldConfig, where);
    // a public field the gate does not wrap: its property, records another field decided (an edge's node)
    const plain = field.action === 'public' && exposed(fieldConfig);
    return { ...fieldConfig, extensions: { ...extensions, action: field.action, gate: field, ...(plain ? { plain: true } : {}) } };
  }

  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    const action = fieldConfig.extensions?.action as ActionOf;
    if (action === 'public') return resolver;
    const field = fieldConfig.extensions?.gate as ObjectField | undefined;
    if (!field) return leafResolver(resolver, action as string, this.typeOptions(fieldConfig.parentType).resource!);
    return objectResolver(resolver, field);
  }

  private objectField(fieldConfig: PothosOutputFieldConfig<Types>, where: string): ObjectField {
    const options = fieldConfig.pothosOptions;
    const named = namedType(fieldConfig.type);
    let returned = this.typeOptions(named);
    const rows = { type: returned.connectionOf ?? named, page: returned.connectionOf !== undefined };
    if (returned.connectionOf) returned = this.typeOptions(returned.connectionOf);
    const readAction = returned.action;
    const action = options.action ?? readAction;
    if (!action) throw new PothosSchemaError(`${where} returns records of a type that declares no read action; declare one (or 'public') on the type or an action on the field`);
    if (options.batch && (action !== readAction || fieldConfig.type.kind === 'List' || Object.keys(fieldConfig.args).length > 0)) {
      throw new PothosSchemaError(`${where}: only a to-one relation without arguments read under its records' read action can be batched`);
    }
    if (action === 'public') return { action, resource: undefined, read: undefined, mutation: false, rows };
    const batch = options.batch as ObjectField['batch'];
    const read =
      readAction && readAction !== 'public' ? { action: readAction, resource: returned.resource!, records: returned.records as RecordSource | undefined } : undefined;
    const resource = options.resource ?? (action === readAction ? read?.resource : undefined);
    if (typeof action === 'string' && !resource) {
      throw new PothosSchemaError(`${where}: action ${action} is not its records' read action; name the resource type whose rows it covers`);
    }
    if (typeof action === 'string' && read && action !== read.action && !read.records?.load && !read.records?.attributes) {
      throw new PothosSchemaError(`${where} returns ${namedType(fieldConfig.type)} records under ${action}: the type needs records.load or records.attributes to read them again under ${read.action}`);
    }
    return { action, resource, read, mutation: fieldConfig.parentType === 'Mutation', rows, ...(batch ? { batch } : {}) };
  }

  private typeOptions(typeName: string): { action?: Action; resource?: ResourceType; records?: RecordSource; connectionOf?: string } {
    return this.buildCache.getTypeConfig(typeName).pothosOptions as never;
  }
}

function leafResolver<C>(resolver: GraphQLFieldResolver<unknown, C, object>, action: string, resource: ResourceType): GraphQLFieldResolver<unknown, C, object> {
  return (parent, args, context, info) => {
    const effects = (context as GateContext).policy.fieldEffects(action, resource);
    if (effects === null) return resolver(parent, args, context, info);
    return effects.apply(info.fieldName, info.path, () => resolver(parent, args, context, info));
  };
}

function objectResolver<C>(resolver: GraphQLFieldResolver<unknown, C, object>, field: ObjectField): GraphQLFieldResolver<unknown, C, object> {
  return (parent, args, context, info) => {
    const { policy, signal } = context as GateContext;
    // past the request's deadline nothing more is loaded (its answer has gone already)
    if (signal?.aborted) throw signal.reason;
    let action = field.action as string;
    let resource = field.resource!;
    let read = field.read;
    if (typeof field.action === 'function') {
      // node(id:): its records are read under the action its id names
      action = field.action(args as Record<string, unknown>);
      resource = policy.resourceOf(action);
      read = { action, resource, records: undefined };
    }
    const permit = policy.permit(action, resource);
    if (field.batch) {
      // resolved ahead with the other records of its list (loadAhead): its record, or its error, now
      const ahead = aheadOf(context, field)?.get(parent as object);
      if (ahead) {
        if ('error' in ahead) throw ahead.error;
        return noteRecords(policy, read!.action, read!.records, ahead.value);
      }
    }
    if (read && typeof field.action === 'function') policy.decidedAt(action, info.fieldName);
    const since = field.mutation ? policy.mark() : 0;
    let result = resolver(parent, withPermit(args, permit), context, info);
    // a write that failed rolled back: its decisions are attempts, not what it did
    if (field.mutation) {
      result = Promise.resolve(result).catch((error) => {
        policy.failedSince(since, action);
        throw error;
      });
    }
    if (!read) return result;
    if (action !== read.action) {
      const under = read;
      return result instanceof Promise ? result.then((value) => readUnder(policy, under, context, value)) : readUnder(policy, under, context, result);
    }
    const { action: readAction, records } = read;
    const noted = (value: unknown) => {
      noteRecords(policy, readAction, records, value);
      // a list of records: their batched relations are loaded before their fields run
      return !field.mutation && isList(value) ? loadAhead(context as GateContext, info, field.rows, rowsOf(value), withPermit).then(() => value) : value;
    };
    return result instanceof Promise ? result.then(noted) : noted(result);
  };
}

function isList(value: unknown): boolean {
  return Array.isArray(value) || (value !== null && typeof value === 'object' && Array.isArray((value as { rows?: unknown }).rows));
}

// the args of fields without arguments (relations, once per row): one frozen object per permit
const permitOnly = new WeakMap<Permit, object>();

/** The args a resolver gets: the field's own, and the gate's permit. */
function withPermit(args: object, permit: Permit): object {
  for (const _ in args) return { ...args, [PERMIT]: permit };
  let only = permitOnly.get(permit);
  // Stryker disable next-line ConditionalExpression: a cache; without it each row gets an equal object of its own
  if (!only) permitOnly.set(permit, (only = Object.freeze({ [PERMIT]: permit })));
  return only;
}

/** Notes the keys of the records a field returned (a record, a list of them, or a page). */
function noteRecords(policy: RequestPolicy, action: string, records: RecordSource | undefined, value: unknown): unknown {
  const keys = rowsOf(value)
    .map((row) => keyOf(records, row))
    .filter((k): k is string => k !== undefined);
  if (keys.length) policy.returned(action, keys);
  return value;
}

/** A write's payload, read again under the caller's read permit for its type: what it may not see is NOT_FOUND. */
async function readUnder(policy: RequestPolicy, read: NonNullable<ObjectField['read']>, context: unknown, value: unknown): Promise<unknown> {
  if (value === null || value === undefined) return value;
  const permit = policy.permit(read.action, read.resource);
  const rows = rowsOf(value);
  const keys = rows.map((row) => keyOf(read.records, row));
  let visible: readonly unknown[];
  if (read.records?.load) {
    visible = await read.records.load(context, permit, keys as string[]);
  } else {
    visible = rows.map((row) => (matches(permit.rows, read.records!.attributes!(row)) ? row : null));
  }
  if (visible.some((row) => row === null)) throw notFound(read.resource);
  policy.returned(read.action, keys.filter((k): k is string => k !== undefined));
  return Array.isArray(value) ? visible : visible[0];
}

function rowsOf(value: unknown): readonly object[] {
  if (value === null || value === undefined || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.filter((v) => v !== null);
  const page = (value as { rows?: unknown }).rows;
  return Array.isArray(page) ? page : [value];
}

function keyOf(records: RecordSource | undefined, row: object): string | undefined {
  return records?.key ? records.key(row) : ((row as { id?: string }).id ?? undefined);
}

/** Whether a field is its parent's property of the same name (`t.expose…`). */
function exposed<Types extends SchemaTypes>(fieldConfig: PothosOutputFieldConfig<Types>): boolean {
  return fieldConfig.extensions?.pothosExposedField === fieldConfig.name;
}

function isLeaf(type: { kind: string; type?: unknown }): boolean {
  return type.kind === 'List' ? isLeaf(type.type as typeof type) : type.kind === 'Scalar' || type.kind === 'Enum';
}

function namedType(type: { kind: string; type?: unknown; ref?: unknown }): string {
  if (type.kind === 'List') return namedType(type.type as typeof type);
  const ref = type.ref as { name?: string } | string;
  return typeof ref === 'string' ? ref : String(ref.name ?? ref);
}

/**
 * What the schema declares for policies: every action a field decides and the resource type whose
 * rows it covers, and the personal fields of each resource type with their categories. Policies
 * are compiled against it, so a rule naming an unknown action or field is refused at load.
 */
export function catalogueOf(schema: GraphQLSchema): Catalogue {
  const actions: Record<string, ResourceType> = {};
  const personal: Partial<Record<ResourceType, Record<string, string>>> = {};
  const note = (action: unknown, resource: unknown) => {
    if (typeof action !== 'string' || action === 'public' || !isResourceType(resource as string)) return;
    if (actions[action] && actions[action] !== resource) throw new Error(`action ${action} covers both ${actions[action]} and ${String(resource)} rows`);
    actions[action] = resource as ResourceType;
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const resource = type.extensions.resource as ResourceType | undefined;
    note(type.extensions.readAction, resource);
    for (const field of Object.values(type.getFields())) {
      const gate = field.extensions.gate as ObjectField | undefined;
      if (gate) note(gate.action, gate.resource);
      if (typeof field.extensions.personal === 'string' && resource) (personal[resource] ??= {})[field.name] = field.extensions.personal;
    }
  }
  return { actions, personal };
}

SchemaBuilder.registerPlugin(pluginName, PothosGatePlugin);
export default pluginName;
