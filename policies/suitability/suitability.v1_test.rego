# Unit tests of suitability.v1.rego, run by `fingate policy test` with suitability.v1.yaml's `data:`
# section as OPA data, so they test the logic and the numbers compliance ships together.
package fingate.suitability_test

import data.fingate.suitability.decision

now := "2026-11-29T02:00:00.000Z"

profile(tolerance) := {
	"tolerance": tolerance,
	"lowestCategory": false,
	"assessedAt": "2026-06-01T00:00:00.000Z",
	"expiresAt": "2027-06-01T00:00:00.000Z",
}

product(category, risk_level) := {"id": "5", "category": category, "riskLevel": risk_level, "status": "ONLINE"}

purchase(prod, customer, confirm) := {
	"principal": {"id": "c-1", "roles": ["customer"], "customerId": "1", "scopes": []},
	"purpose": null,
	"action": "product.purchase",
	"resource": {"type": "Account", "id": "10", "attributes": {"customerId": "1"}},
	"args": {"input": {"productId": "5", "accountId": "10", "amount": "1000.00", "idempotencyKey": "k-1", "confirmRiskMismatch": confirm}},
	"facts": {"product": prod, "customer": customer},
	"now": now,
}

ordinary(risk_profile) := {"id": "1", "investorType": "ORDINARY", "riskProfile": risk_profile}

codes(result) := [r.code | some r in result.reasons]

test_within_tolerance_allows if {
	result := decision with input as purchase(product("FUND", "R3"), ordinary(profile("C3")), false)
	result.allow == true
	codes(result) == ["WITHIN_TOLERANCE"]
	result.obligations == {}
}

test_below_tolerance_allows if {
	result := decision with input as purchase(product("WEALTH_MANAGEMENT", "R1"), ordinary(profile("C5")), false)
	result.allow == true
	codes(result) == ["WITHIN_TOLERANCE"]
}

test_no_risk_profile_denies if {
	result := decision with input as purchase(product("FUND", "R1"), ordinary(null), false)
	result.allow == false
	codes(result) == ["RISK_ASSESSMENT_REQUIRED"]
	result.reasons[0].regulation == "证券法 第88条"
}

test_expired_profile_denies if {
	expired := object.union(profile("C5"), {"expiresAt": "2026-11-29T01:59:59.999Z"})
	result := decision with input as purchase(product("FUND", "R1"), ordinary(expired), false)
	result.allow == false
	codes(result) == ["RISK_ASSESSMENT_EXPIRED"]
}

test_profile_expiring_now_is_expired if {
	at_now := object.union(profile("C5"), {"expiresAt": now})
	result := decision with input as purchase(product("FUND", "R1"), ordinary(at_now), false)
	codes(result) == ["RISK_ASSESSMENT_EXPIRED"]
}

test_professional_buys_any_grade if {
	customer := {"id": "1", "investorType": "PROFESSIONAL", "riskProfile": profile("C1")}
	result := decision with input as purchase(product("WEALTH_MANAGEMENT", "R5"), customer, false)
	result.allow == true
	codes(result) == ["PROFESSIONAL_INVESTOR"]
}

test_professional_still_needs_an_assessment if {
	customer := {"id": "1", "investorType": "PROFESSIONAL", "riskProfile": null}
	result := decision with input as purchase(product("FUND", "R5"), customer, false)
	codes(result) == ["RISK_ASSESSMENT_REQUIRED"]
}

test_lowest_category_refused_even_when_confirmed if {
	lowest := object.union(profile("C1"), {"lowestCategory": true})
	result := decision with input as purchase(product("FUND", "R2"), ordinary(lowest), true)
	result.allow == false
	codes(result) == ["LOWEST_CATEGORY_ABOVE_R1"]
	not result.obligations.confirm
}

test_lowest_category_may_buy_r1 if {
	lowest := object.union(profile("C1"), {"lowestCategory": true})
	result := decision with input as purchase(product("FUND", "R1"), ordinary(lowest), false)
	codes(result) == ["WITHIN_TOLERANCE"]
}

test_bank_wmp_above_tolerance_has_no_override if {
	result := decision with input as purchase(product("WEALTH_MANAGEMENT", "R4"), ordinary(profile("C3")), true)
	result.allow == false
	codes(result) == ["RISK_LEVEL_ABOVE_TOLERANCE"]
	result.reasons[0].regulation == "商业银行理财业务监督管理办法"
	result.obligations == {}
}

test_csrc_above_tolerance_asks_for_confirmation if {
	result := decision with input as purchase(product("FUND", "R4"), ordinary(profile("C3")), false)
	result.allow == false
	codes(result) == ["RISK_LEVEL_ABOVE_TOLERANCE"]
	result.reasons[0].regulation == "证券期货投资者适当性管理办法 第19条"
	[c.code | some c in result.obligations.confirm] == ["CONFIRM_RISK_MISMATCH"]
}

test_csrc_above_tolerance_confirmed_allows_with_alert if {
	result := decision with input as purchase(product("FUND", "R5"), ordinary(profile("C2")), true)
	result.allow == true
	codes(result) == ["RISK_MISMATCH_CONFIRMED"]
	result.obligations.alerts == [{
		"kind": "SUITABILITY_OVERRIDE",
		"rule": "适当性办法第19条",
		"reason": "ordinary investor C2 bought R5 product 5 after the special written risk warning",
	}]
}

test_confirmation_must_be_true_not_truthy if {
	result := decision with input as purchase(product("FUND", "R4"), ordinary(profile("C3")), "yes")
	result.allow == false
}

test_categories_without_regime_are_not_applicable if {
	every category in ["DEPOSIT", "INSURANCE", "LOAN", "PAYMENT"] {
		result := decision with input as purchase(product(category, "R5"), ordinary(null), false)
		result.allow == true
		codes(result) == ["SUITABILITY_NOT_APPLICABLE"]
	}
}

test_unknown_regime_denies_above_tolerance if {
	result := decision with input as purchase(product("FUND", "R4"), ordinary(profile("C3")), true)
		with data.regimes as {"FUND": "PRIVATE_FUND"}
	result.allow == false
	codes(result) == ["RISK_LEVEL_ABOVE_TOLERANCE"]
}

test_unknown_risk_level_denies if {
	result := decision with input as purchase(product("FUND", "R9"), ordinary(profile("C5")), false)
	codes(result) == ["SUITABILITY_FACTS_MISSING"]
}

test_missing_facts_denies if {
	result := decision with input as {"action": "product.purchase", "now": now}
	result.allow == false
	codes(result) == ["SUITABILITY_FACTS_MISSING"]
}

test_incomplete_profile_denies if {
	result := decision with input as purchase(product("FUND", "R1"), ordinary({"tolerance": "C9"}), false)
	codes(result) == ["SUITABILITY_FACTS_MISSING"]
}
