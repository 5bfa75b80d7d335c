# Cooling-off periods (投资冷静期), version 1: may this purchase still be cancelled? May its return
# call be recorded now?
#
# Input: input.action, input.facts.coolingOff (the purchase's recorded period: transaction, type,
# status, productClass, startsAt, endsAt, returnCallRequired, returnCallAt; null when it has none),
# input.now (an ISO-8601 UTC string, so strings compare as instants; the fact's instants are too).
# Data: the `data:` section of cooling-off.v1.yaml (classes and their terms).
# Sources: ../shared/reference/regulations.md rules S17, S18 and D5.
package fingate["cooling-off"]

decision := result if {
	# a return call is recorded once; asking again answers the same, whatever the purchase became
	input.action == "transaction.recordReturnCall"
	is_string(period.returnCallAt)
	result := allow("RETURN_CALL_ALREADY_RECORDED", concat("", ["the return call was recorded at ", period.returnCallAt]), regulation)
} else := result if {
	not pending
	result := deny("NOT_IN_COOLING_OFF", "the transaction is not a purchase waiting in a cooling-off period", null)
} else := result if {
	input.action == "transaction.cancel"
	result := cancel
} else := result if {
	input.action == "transaction.recordReturnCall"
	result := return_call
} else := deny("COOLING_OFF_UNKNOWN_ACTION", concat("", [input.action, " is not an action this policy knows"]), null)

period := input.facts.coolingOff

terms := data.classes[period.productClass]

regulation := terms.regulation if terms

else := null

pending if {
	period.type == "PURCHASE"
	period.status == "PENDING"
}

in_period if input.now < period.endsAt

# ---------------------------------------------------------------------------------------------
# Cancelling: within the period the investor may rescind and is refunded in full (S17); a private
# fund's contract is signed only after the return call (S18), so until then it may be cancelled too.

cancel := allow("CANCEL_IN_COOLING_OFF", concat("", ["cancelled within the cooling-off period ending ", period.endsAt, "; the full amount is refunded"]), regulation) if {
	in_period
} else := allow("CANCEL_BEFORE_RETURN_CALL", "cancelled before the return call confirmed the purchase; the full amount is refunded", regulation) if {
	terms.cancelUntil == "RETURN_CALL"
	period.returnCallAt == null
} else := deny("COOLING_OFF_ENDED", concat("", ["the cooling-off period ended ", period.endsAt, "; the purchase can no longer be cancelled"]), regulation)

# ---------------------------------------------------------------------------------------------
# The return call (回访确认): after the period, and only for purchases that need one; the firm may
# not contact the investor during the period (S18).

return_call := deny("RETURN_CALL_NOT_REQUIRED", "this purchase completes without a return call", regulation) if {
	period.returnCallRequired != true
} else := deny("RETURN_CALL_DURING_COOLING_OFF", concat("", ["the investor may not be contacted before the cooling-off period ends at ", period.endsAt]), regulation) if {
	in_period
} else := allow("RETURN_CALL_AFTER_COOLING_OFF", "the return call confirms the purchase after its cooling-off period; it completes now", regulation)

reason(code, message, regulation) := {"code": code, "message": message, "regulation": regulation}

allow(code, message, regulation) := {"allow": true, "reasons": [reason(code, message, regulation)], "obligations": {}}

deny(code, message, regulation) := {"allow": false, "reasons": [reason(code, message, regulation)], "obligations": {}}
