# Unit tests of suitability.v2.rego, run by `fingate policy test` with suitability.v2.yaml's `data:`
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

lowest := object.union(profile("C1"), {"lowestCategory": true})

qualification := {"basis": "FINANCIAL_ASSETS", "confirmedAt": "2026-11-01T02:00:00.000Z", "expiresAt": "2027-11-01T16:00:00.000Z"}

product(category, risk_level) := {"id": "5", "category": category, "riskLevel": risk_level, "status": "ONLINE", "offering": "PUBLIC", "investmentLinked": false}

private(category, risk_level) := object.union(product(category, risk_level), {"offering": "PRIVATE"})

linked(risk_level) := object.union(product("INSURANCE", risk_level), {"investmentLinked": true})

customer(type, age, risk_profile, qualified) := {"id": "1", "investorType": type, "age": age, "riskProfile": risk_profile, "qualifiedInvestor": qualified}

ordinary(risk_profile) := customer("ORDINARY", 40, risk_profile, null)

purchase(prod, buyer, confirm) := {
	"principal": {"id": "c-1", "roles": ["customer"], "customerId": "1", "scopes": []},
	"purpose": null,
	"action": "product.purchase",
	"resource": {"type": "Account", "id": "10", "attributes": {"customerId": "1"}},
	"args": {"input": {"productId": "5", "accountId": "10", "amount": "1000.00", "confirmRiskMismatch": confirm}},
	"facts": {"product": prod, "customer": buyer},
	"now": now,
}

codes(result) := [r.code | some r in result.reasons]

# --- the matching table, per family ---

test_every_cell_of_the_table_for_funds_and_wmp_and_linked_insurance if {
	every p in [product("FUND", "R1"), product("WEALTH_MANAGEMENT", "R1"), linked("R1")] {
		every i, tolerance in ["C1", "C2", "C3", "C4", "C5"] {
			every j, grade in ["R1", "R2", "R3", "R4", "R5"] {
				result := decision with input as purchase(object.union(p, {"riskLevel": grade}), ordinary(profile(tolerance)), false)
				result.allow == (j <= i)
			}
		}
	}
}

test_within_tolerance_allows_and_cites_the_regime if {
	result := decision with input as purchase(product("FUND", "R3"), ordinary(profile("C3")), false)
	result.allow == true
	codes(result) == ["WITHIN_TOLERANCE"]
	result.reasons[0].regulation == "证券期货投资者适当性管理办法 第18条"
	result.obligations == {}
}

# --- investment-type insurance ---

test_investment_linked_insurance_above_tolerance_is_refused_without_override if {
	result := decision with input as purchase(linked("R4"), ordinary(profile("C2")), true)
	result.allow == false
	codes(result) == ["RISK_LEVEL_ABOVE_TOLERANCE"]
	startswith(result.reasons[0].regulation, "金融机构产品适当性管理办法 第3条")
	result.obligations == {}
}

test_protection_insurance_is_outside_suitability if {
	result := decision with input as purchase(product("INSURANCE", "R4"), ordinary(null), false)
	result.allow == true
	codes(result) == ["SUITABILITY_NOT_APPLICABLE"]
}

test_lowest_category_may_not_buy_r2_investment_insurance if {
	result := decision with input as purchase(linked("R2"), ordinary(lowest), false)
	codes(result) == ["LOWEST_CATEGORY_ABOVE_R1"]
}

# --- professional investors ---

test_professional_buys_any_fund_grade if {
	result := decision with input as purchase(product("FUND", "R5"), customer("PROFESSIONAL", 45, profile("C1"), null), false)
	result.allow == true
	codes(result) == ["PROFESSIONAL_INVESTOR"]
}

test_professional_gets_no_override_for_bank_wmp if {
	result := decision with input as purchase(product("WEALTH_MANAGEMENT", "R4"), customer("PROFESSIONAL", 45, profile("C3"), null), true)
	result.allow == false
	codes(result) == ["RISK_LEVEL_ABOVE_TOLERANCE"]
	result.obligations == {}
}

test_professional_buys_bank_wmp_within_their_assessment if {
	result := decision with input as purchase(product("WEALTH_MANAGEMENT", "R3"), customer("PROFESSIONAL", 45, profile("C3"), null), false)
	codes(result) == ["WITHIN_TOLERANCE"]
}

test_professional_still_needs_an_assessment if {
	result := decision with input as purchase(product("FUND", "R5"), customer("PROFESSIONAL", 45, null, null), false)
	codes(result) == ["RISK_ASSESSMENT_REQUIRED"]
}

# --- minors ---

test_minor_is_the_lowest_category_whatever_the_questionnaire_said if {
	result := decision with input as purchase(product("FUND", "R2"), customer("ORDINARY", 17, profile("C5"), null), true)
	result.allow == false
	codes(result) == ["MINOR_LOWEST_CATEGORY"]
	not result.obligations.confirm
}

test_minor_may_buy_r1 if {
	result := decision with input as purchase(product("FUND", "R1"), customer("ORDINARY", 17, profile("C5"), null), false)
	codes(result) == ["WITHIN_TOLERANCE"]
}

test_minor_professional_gets_no_professional_match if {
	result := decision with input as purchase(product("FUND", "R3"), customer("PROFESSIONAL", 17, profile("C5"), null), false)
	codes(result) == ["MINOR_LOWEST_CATEGORY"]
}

test_eighteen_is_an_adult if {
	result := decision with input as purchase(product("FUND", "R5"), customer("ORDINARY", 18, profile("C5"), null), false)
	codes(result) == ["WITHIN_TOLERANCE"]
}

test_unknown_age_denies if {
	buyer := object.remove(ordinary(profile("C5")), ["age"])
	result := decision with input as purchase(product("FUND", "R1"), buyer, false)
	codes(result) == ["SUITABILITY_FACTS_MISSING"]
}

# --- private products ---

test_private_fund_needs_a_qualified_investor if {
	result := decision with input as purchase(private("FUND", "R3"), ordinary(profile("C5")), false)
	result.allow == false
	codes(result) == ["QUALIFIED_INVESTOR_REQUIRED"]
	startswith(result.reasons[0].regulation, "私募投资基金监督管理条例")
}

test_private_wmp_needs_a_qualified_investor_even_a_professional if {
	result := decision with input as purchase(private("WEALTH_MANAGEMENT", "R2"), customer("PROFESSIONAL", 50, profile("C5"), null), false)
	codes(result) == ["QUALIFIED_INVESTOR_REQUIRED"]
}

test_qualified_investor_buys_a_private_fund_within_tolerance if {
	result := decision with input as purchase(private("FUND", "R3"), customer("ORDINARY", 50, profile("C3"), qualification), false)
	codes(result) == ["WITHIN_TOLERANCE"]
}

test_qualified_investor_is_still_matched_by_tolerance if {
	result := decision with input as purchase(private("WEALTH_MANAGEMENT", "R5"), customer("ORDINARY", 50, profile("C3"), qualification), true)
	codes(result) == ["RISK_LEVEL_ABOVE_TOLERANCE"]
}

test_expired_qualification_does_not_count if {
	expired := object.union(qualification, {"expiresAt": now})
	result := decision with input as purchase(private("FUND", "R3"), customer("ORDINARY", 50, profile("C3"), expired), false)
	codes(result) == ["QUALIFIED_INVESTOR_REQUIRED"]
}

# --- the special written risk warning ---

test_fund_above_tolerance_asks_to_confirm_the_versioned_warning if {
	result := decision with input as purchase(product("FUND", "R4"), ordinary(profile("C3")), false)
	result.allow == false
	codes(result) == ["RISK_LEVEL_ABOVE_TOLERANCE"]
	[confirm] := result.obligations.confirm
	confirm.code == "CONFIRM_RISK_MISMATCH"
	confirm.ref == data.riskWarning.id
	confirm.regulation == "证券期货投资者适当性管理办法 第19条"
	confirm.message == strings.replace_n({"{riskLevel}": "R4", "{tolerance}": "C3"}, data.riskWarning.text)
	contains(confirm.message, data.riskWarning.id)
}

test_confirmed_purchase_above_tolerance_allows_with_an_alert_naming_the_warning if {
	result := decision with input as purchase(product("FUND", "R5"), ordinary(profile("C2")), true)
	result.allow == true
	codes(result) == ["RISK_MISMATCH_CONFIRMED"]
	[alert] := result.obligations.alerts
	alert.kind == "SUITABILITY_OVERRIDE"
	contains(alert.reason, data.riskWarning.id)
}

test_confirmation_must_be_true_not_truthy if {
	result := decision with input as purchase(product("FUND", "R4"), ordinary(profile("C3")), "yes")
	result.allow == false
}

test_lowest_category_refused_even_when_confirmed if {
	result := decision with input as purchase(product("FUND", "R2"), ordinary(lowest), true)
	codes(result) == ["LOWEST_CATEGORY_ABOVE_R1"]
	not result.obligations.confirm
}

# --- assessments and missing facts ---

test_expired_profile_denies if {
	at_now := object.union(profile("C5"), {"expiresAt": now})
	result := decision with input as purchase(product("FUND", "R1"), ordinary(at_now), false)
	codes(result) == ["RISK_ASSESSMENT_EXPIRED"]
}

test_every_denial_cites_a_regulation if {
	inputs := [
		{"action": "product.purchase", "now": now},
		purchase(product("FUND", "R1"), ordinary(null), false),
		purchase(product("FUND", "R4"), ordinary(profile("C3")), false),
		purchase(product("WEALTH_MANAGEMENT", "R4"), ordinary(profile("C3")), false),
		purchase(private("FUND", "R1"), ordinary(profile("C3")), false),
		purchase(product("FUND", "R9"), ordinary(profile("C3")), false),
	]
	every i in inputs {
		result := decision with input as i
		result.allow == false
		every r in result.reasons {
			is_string(r.regulation)
		}
	}
}

test_unknown_offering_denies if {
	result := decision with input as purchase(object.union(product("FUND", "R1"), {"offering": "CLUB"}), ordinary(profile("C5")), false)
	codes(result) == ["SUITABILITY_FACTS_MISSING"]
}

# --- qualified-investor confirmations ---

confirming(basis, amount, days) := {
	"principal": {"id": "advisor-1", "roles": ["advisor"], "institutionId": "1", "scopes": []},
	"purpose": null,
	"action": "customer.confirmQualifiedInvestor",
	"resource": {"type": "Customer", "id": "1", "attributes": {"customerId": "1", "institutionId": "1"}},
	"args": {"input": {"customerId": "1", "basis": basis, "amount": amount, "validDays": days}},
	"facts": {"customer": ordinary(null), "product": null},
	"now": now,
}

test_assets_at_the_threshold_qualify if {
	result := decision with input as confirming("FINANCIAL_ASSETS", "3000000.00", 365)
	result.allow == true
	codes(result) == ["QUALIFIED_INVESTOR_CONFIRMED"]
}

test_assets_a_cent_below_the_threshold_do_not if {
	result := decision with input as confirming("FINANCIAL_ASSETS", "2999999.99", 30)
	codes(result) == ["QUALIFIED_INVESTOR_THRESHOLD_NOT_MET"]
}

test_income_at_the_threshold_qualifies if {
	result := decision with input as confirming("AVERAGE_INCOME", "500000.00", 0)
	codes(result) == ["QUALIFIED_INVESTOR_CONFIRMED"]
}

test_income_below_the_threshold_does_not if {
	result := decision with input as confirming("AVERAGE_INCOME", "499999.99", 30)
	codes(result) == ["QUALIFIED_INVESTOR_THRESHOLD_NOT_MET"]
}

test_large_amounts_compare_exactly if {
	result := decision with input as confirming("FINANCIAL_ASSETS", "99999999999999999.99", 30)
	codes(result) == ["QUALIFIED_INVESTOR_CONFIRMED"]
}

test_unknown_basis_is_refused if {
	result := decision with input as confirming("LOTTERY_WIN", "9000000.00", 30)
	codes(result) == ["QUALIFICATION_BASIS_UNKNOWN"]
}

test_validity_beyond_the_cap_or_past_is_refused if {
	every days in [366, -1, "30", null] {
		result := decision with input as confirming("FINANCIAL_ASSETS", "3000000.00", days)
		codes(result) == ["QUALIFICATION_VALIDITY_INVALID"]
	}
}

test_malformed_amount_is_refused if {
	every amount in ["3e6", "3000000", 3000000] {
		result := decision with input as confirming("FINANCIAL_ASSETS", amount, 30)
		result.allow == false
	}
}
