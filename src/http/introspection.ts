import { BREAK, visit, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { IntrospectionMode } from '../config.ts';
import type { GatewayContext } from '../context.ts';
import { clientError } from '../errors.ts';
import { ROLES, type Principal } from '../policy/principal.ts';

/**
 * Refuses `__schema` and `__type` to callers the mode excludes (`__typename` stays): `off` refuses
 * everyone, `staff` everyone without a known role other than `customer`, `on` no one. Decided after
 * authentication, so the principal is known; the refusal is a 400 like any invalid document.
 */
export function useIntrospectionRule(mode: IntrospectionMode): Plugin<GatewayContext> {
  if (mode === 'on') return {};
  // yoga caches parsed documents, so each distinct document is walked once
  const introspects = new WeakMap<DocumentNode, boolean>();
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (mode === 'staff' && isStaff(args.contextValue.principal)) return;
      let found = introspects.get(args.document);
      if (found === undefined) introspects.set(args.document, (found = asksForSchema(args.document)));
      if (found) setResultAndStopExecution({ errors: [clientError('BAD_USER_INPUT', 'introspection is disabled for this caller', { http: { status: 400 } })] });
    },
  };
}

const STAFF_ROLES: ReadonlySet<string> = new Set(ROLES.filter((role) => role !== 'customer'));

function isStaff(principal: Principal): boolean {
  return principal.roles.some((role) => STAFF_ROLES.has(role));
}

function asksForSchema(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value !== '__schema' && node.name.value !== '__type') return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}
