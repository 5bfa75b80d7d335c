/*
 * The words policies, the schema and the database share, each defined once: the action pattern,
 * the investor and product risk grades, the kinds of risk alert, reason codes. Policy modules
 * build their file schemas from these.
 */

/** `<resource>.<verb>`, e.g. `customer.read`, `product.purchase`. */
export const ACTION_PATTERN = /^[a-z][a-zA-Z]*\.[a-z][a-zA-Z]*$/;

/** Reason and confirmation codes: UPPER_SNAKE_CASE. */
export const CODE_PATTERN = /^[A-Z][A-Z0-9_]*$/;

/** Investor risk-tolerance classes (适当性办法), C1 most conservative. */
export const TOLERANCES = ['C1', 'C2', 'C3', 'C4', 'C5'] as const;
export type Tolerance = (typeof TOLERANCES)[number];

/** Product risk grades, R1 lowest. */
export const RISK_LEVELS = ['R1', 'R2', 'R3', 'R4', 'R5'] as const;

/** The kinds of risk alert a decision may oblige a write to raise (risk_alerts.kind, the RiskAlertKind enum). */
export const ALERT_KINDS = ['LARGE_VALUE', 'SUSPICIOUS', 'HIGH_FREQUENCY', 'SUITABILITY_OVERRIDE'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** The review statuses of a risk alert (risk_alerts.status, the RiskAlertStatus enum): OPEN → UNDER_REVIEW → CLOSED or REPORTED. */
export const ALERT_STATUSES = ['OPEN', 'UNDER_REVIEW', 'CLOSED', 'REPORTED'] as const;

/**
 * The windows over which the `amlActivity` fact counts a customer's own movements, in minutes: an
 * AML rule of "N movements in M minutes" picks M among them.
 */
export const AML_WINDOWS_MINUTES = [5, 10, 15, 30, 60, 120, 240, 1440] as const;
