import type { GraphQLResolveInfo } from 'graphql';
import type { ResourceType } from '../resources.ts';
import type { Condition } from './condition.ts';

/**
 * The policy decisions of one request, made under one consistent set of policy versions and cached
 * for the request: the gate is its only caller.
 */
export interface RequestPolicy {
  /**
   * Whether the principal may perform `action` at all, and on which rows. Throws a client error
   * (`POLICY_DENIED`) when no rule allows it.
   */
  access(action: string, info: GraphQLResolveInfo): AccessGrant;
  /**
   * The hidden and masked fields of a type for this principal and purpose; `null` when none apply,
   * so the gate's per-field path stays a single lookup.
   */
  fieldEffects(typeName: string, action: string): FieldEffects | null;
}

/** An allowed action and the rows it covers. */
export interface AccessGrant {
  readonly action: string;
  readonly resource: ResourceType;
  readonly rows: Condition;
}

/** Applies the privacy obligations of one type to its fields. */
export interface FieldEffects {
  /** Resolves the field, hiding (null) or masking its value as the obligations say. */
  apply(fieldName: string, path: GraphQLResolveInfo['path'], resolve: () => unknown): unknown;
}
