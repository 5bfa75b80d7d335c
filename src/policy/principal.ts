/** The roles of the auth contract. Any other role string is carried, and the access policy grants it nothing. */
export const ROLES = ['customer', 'advisor', 'compliance', 'auditor', 'service'] as const;

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
