import SchemaBuilder, {
  BasePlugin,
  PothosSchemaError,
  type FieldNullability,
  type InputFieldMap,
  type PothosOutputFieldConfig,
  type SchemaTypes,
  type TypeParam,
} from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import { notFound } from '../errors.ts';
import type { ResourceType } from '../resources.ts';
import { matches, type Condition } from './condition.ts';
import type { AccessGrant, FieldEffects, RequestPolicy, ResourceDocument } from './request-policy.ts';
import type { Obligations } from './types.ts';

/**
 * An action every field declares: `<resource>.<verb>` (e.g. `customer.read`, `product.purchase`),
 * or `public` for fields that expose nothing a policy guards (connection plumbing, ids of rows the
 * parent field already authorized).
 */
export type Action = `${string}.${string}` | 'public';

/** An action that depends on the field's arguments (e.g. `node(id:)` reads what its id names). */
export type ActionOf = Action | ((args: Record<string, unknown>) => Action);

/**
 * Proof that the gate allowed an action for this request, carrying the rows it may touch. Data
 * functions take one; only this file can make one, so a resolver cannot reach data around the gate.
 */
export interface Permit {
  readonly action: string;
  readonly resource: ResourceType;
  /** The rows this permit covers, as a condition on the resource's attributes. */
  readonly rows: Condition;
  /** What the decision obliges the resolver to do (e.g. alerts to raise with a purchase). */
  readonly obligations: Obligations;
  readonly [permitBrand]: true;
}
declare const permitBrand: unique symbol;

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
}

const pluginName = 'gate';

declare global {
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      gate: PothosGatePlugin<Types>;
    }
    interface ObjectTypeOptions<Types extends SchemaTypes = SchemaTypes, Shape = unknown> {
      /** The action every field of this type declares unless the field names its own. */
      action?: Action;
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
      /** What this field does, for the policy engine. Required unless the type declares one. */
      action?: ActionOf;
      /**
       * For actions on one record (mutations): loads the record and the facts its policies need,
       * before the decision. `null` (or a record the principal may not see) answers NOT_FOUND.
       */
      policyResource?: (args: Record<string, any>, context: Types['Context']) => Promise<ResourceDocument | null>;
    }
  }
}

/**
 * Wraps every field at schema build time. A field with no declared action makes the build fail.
 * Object-returning fields ask the request's policy for a permit (denied: the field errors; allowed:
 * the resolver gets the permit); leaf fields consult the precomputed hidden/masked sets of their
 * type, which costs one map lookup when no obligation applies.
 */
export class PothosGatePlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override onOutputFieldConfig(fieldConfig: PothosOutputFieldConfig<Types>): PothosOutputFieldConfig<Types> {
    const action = fieldConfig.pothosOptions.action ?? this.typeAction(fieldConfig.parentType);
    if (!action) {
      throw new PothosSchemaError(`${fieldConfig.parentType}.${fieldConfig.name} declares no policy action (set action, or 'public')`);
    }
    if (typeof action === 'string' && action !== 'public' && !/^[a-z][a-zA-Z]*\.[a-z][a-zA-Z.]*$/.test(action)) {
      throw new PothosSchemaError(`${fieldConfig.parentType}.${fieldConfig.name}: "${action}" is not an action (resource.verb)`);
    }
    const policyResource = fieldConfig.pothosOptions.policyResource;
    return { ...fieldConfig, extensions: { ...fieldConfig.extensions, action, ...(policyResource ? { policyResource } : {}) } };
  }

  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    const action = fieldConfig.extensions?.action as ActionOf;
    if (action === 'public') return resolver;
    const typeName = fieldConfig.parentType;
    const fieldName = fieldConfig.name;
    const loadResource = fieldConfig.extensions?.policyResource as PothosSchemaTypes.FieldOptions<Types>['policyResource'];
    if (loadResource) {
      return async (parent, args, context, info) => {
        const policy = (context as GateContext).policy;
        const grant = policy.access(action as Action);
        const resource = await loadResource(args as Record<string, unknown>, context);
        // a record outside the principal's rows is answered like one that does not exist
        if (!resource || !matches(grant.rows, resource.attributes)) throw notFound(resource?.type ?? grant.resource);
        const obligations = policy.decideOn(action as Action, resource, args as Record<string, unknown>);
        const permit = Object.freeze({ action, resource: grant.resource, rows: grant.rows, obligations }) as Permit;
        return resolver(parent, { ...args, [PERMIT]: permit }, context, info);
      };
    }
    if (isLeaf(fieldConfig.type) && typeof action === 'string') {
      return (parent, args, context, info) => {
        const effects: FieldEffects | null = (context as GateContext).policy.fieldEffects(typeName, action);
        if (effects === null) return resolver(parent, args, context, info);
        return effects.apply(fieldName, info.path, () => resolver(parent, args, context, info));
      };
    }
    const actionFor = typeof action === 'function' ? action : () => action;
    return (parent, args, context, info) => {
      const grant = (context as GateContext).policy.access(actionFor(args as Record<string, unknown>));
      return resolver(parent, { ...args, [PERMIT]: permitFor(grant) }, context, info);
    };
  }

  private typeAction(typeName: string): Action | undefined {
    const config = this.buildCache.getTypeConfig(typeName);
    return (config.pothosOptions as { action?: Action }).action;
  }
}

function isLeaf(type: { kind: string; type?: unknown }): boolean {
  return type.kind === 'List' ? isLeaf(type.type as typeof type) : type.kind === 'Scalar' || type.kind === 'Enum';
}

// Grants are cached per request, so their permits are made once per request and action.
const permits = new WeakMap<AccessGrant, Permit>();

function permitFor(grant: AccessGrant): Permit {
  let permit = permits.get(grant);
  if (!permit) {
    permit = Object.freeze({ action: grant.action, resource: grant.resource, rows: grant.rows, obligations: {} }) as Permit;
    permits.set(grant, permit);
  }
  return permit;
}

SchemaBuilder.registerPlugin(pluginName, PothosGatePlugin);
export default pluginName;
