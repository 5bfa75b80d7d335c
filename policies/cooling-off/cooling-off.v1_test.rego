# Unit tests of cooling-off.v1.rego, run by `fingate policy test` with cooling-off.v1.yaml's `data:`
# section as OPA data.
package fingate.cooling_off_test

import data.fingate["cooling-off"].decision

# the purchase was made at 2026-11-28T02:00Z; its 24 hours end at 2026-11-29T02:00Z
period(class, status, return_call_at) := {
	"transaction": "7", "type": "PURCHASE", "status": status, "productClass": class,
	"startsAt": "2026-11-28T02:00:00.000Z", "endsAt": "2026-11-29T02:00:00.000Z",
	"returnCallRequired": class == "PRIVATE_FUND", "returnCallAt": return_call_at,
}

ask(action, p, now) := {
	"principal": {"id": "c-1", "roles": ["customer"], "customerId": "1", "scopes": []},
	"purpose": null,
	"action": action,
	"resource": {"type": "Transaction", "id": "7", "attributes": {"customerId": "1"}},
	"args": {"input": {"transactionId": "7"}},
	"facts": {"coolingOff": p},
	"now": now,
}

during := "2026-11-28T20:00:00.000Z"

after := "2026-11-29T02:00:00.000Z"

code(result) := result.reasons[0].code

test_a_private_wmp_purchase_is_cancelled_within_its_period if {
	result := decision with input as ask("transaction.cancel", period("PRIVATE_WEALTH_MANAGEMENT", "PENDING", null), during)
	result.allow == true
	code(result) == "CANCEL_IN_COOLING_OFF"
	result.reasons[0].regulation == "《商业银行理财产品销售管理要求》(三)9"
}

test_a_private_wmp_purchase_is_not_cancelled_once_the_period_ended if {
	# the period is [start, end): at its end it is over
	result := decision with input as ask("transaction.cancel", period("PRIVATE_WEALTH_MANAGEMENT", "PENDING", null), after)
	result.allow == false
	code(result) == "COOLING_OFF_ENDED"
}

test_a_private_fund_purchase_is_cancelled_after_the_period_until_the_return_call if {
	result := decision with input as ask("transaction.cancel", period("PRIVATE_FUND", "PENDING", null), after)
	result.allow == true
	code(result) == "CANCEL_BEFORE_RETURN_CALL"
}

test_a_completed_purchase_is_not_in_cooling_off if {
	result := decision with input as ask("transaction.cancel", period("PRIVATE_FUND", "COMPLETED", "2026-11-30T02:00:00.000Z"), after)
	result.allow == false
	code(result) == "NOT_IN_COOLING_OFF"
}

test_a_transaction_without_a_period_is_not_cancelled if {
	result := decision with input as ask("transaction.cancel", null, during)
	code(result) == "NOT_IN_COOLING_OFF"
}

test_no_return_call_during_the_period if {
	result := decision with input as ask("transaction.recordReturnCall", period("PRIVATE_FUND", "PENDING", null), during)
	result.allow == false
	code(result) == "RETURN_CALL_DURING_COOLING_OFF"
}

test_the_return_call_after_the_period_completes_the_purchase if {
	result := decision with input as ask("transaction.recordReturnCall", period("PRIVATE_FUND", "PENDING", null), after)
	result.allow == true
	code(result) == "RETURN_CALL_AFTER_COOLING_OFF"
}

test_a_wmp_purchase_needs_no_return_call if {
	result := decision with input as ask("transaction.recordReturnCall", period("PRIVATE_WEALTH_MANAGEMENT", "PENDING", null), after)
	result.allow == false
	code(result) == "RETURN_CALL_NOT_REQUIRED"
}

test_a_second_return_call_changes_nothing if {
	# the first one completed the purchase
	result := decision with input as ask("transaction.recordReturnCall", period("PRIVATE_FUND", "COMPLETED", "2026-11-29T03:00:00.000Z"), after)
	result.allow == true
	code(result) == "RETURN_CALL_ALREADY_RECORDED"
}

test_a_longer_period_in_the_data_is_the_transactions_own if {
	# the period recorded with the purchase decides, not today's data
	p := object.union(period("PRIVATE_WEALTH_MANAGEMENT", "PENDING", null), {"endsAt": "2026-11-30T02:00:00.000Z"})
	result := decision with input as ask("transaction.cancel", p, after)
	result.allow == true
}
