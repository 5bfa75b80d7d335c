/** The roles of ../shared/contract/AUTH.md. Any other role string is carried but grants nothing. */
export const ROLES = ['customer', 'advisor', 'compliance', 'auditor', 'service'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, from a verified token. Ids are database keys (the API's global ids decoded). */
export interface Principal {
  /** The token's `sub`. */
  readonly id: string;
  readonly roles: readonly string[];
  /** For the `customer` role: the customer this principal is. */
  readonly customerId?: string | undefined;
  /** For staff of a distributing institution. */
  readonly institutionId?: string | undefined;
  /** For the `service` role: what the token's scopes allow. */
  readonly scopes: readonly string[];
}

export const hasRole = (principal: Principal, role: Role): boolean => principal.roles.includes(role);
