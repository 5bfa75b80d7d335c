# Investor suitability (投资者适当性), version 2: may this customer buy this product, and does this
# evidence make a customer a qualified investor?
#
# Input: what the gate sends (plugins/suitability.ts). Purchases (product.purchase):
# input.facts.product { id, category, riskLevel, offering, investmentLinked }, input.facts.customer
# { investorType, age, riskProfile, qualifiedInvestor }, input.args.input { confirmRiskMismatch }.
# Qualified-investor confirmations (customer.confirmQualifiedInvestor): input.facts.customer,
# input.args.input { basis, amount, validDays }. input.now is an ISO-8601 UTC string, so strings
# compare as instants.
# Data: the `data:` section of suitability.v2.yaml. Every number, table, text and citation is there;
# this file is the logic. Sources: ../shared/reference/regulations.md section 1 (S1–S21).
package fingate.suitability

decision := qualification if input.action == "customer.confirmQualifiedInvestor"

decision := purchase if input.action != "customer.confirmQualifiedInvestor"

# --- purchases: the first rule of this chain whose conditions hold decides ---

purchase := result if {
	not product_known
	result := deny("SUITABILITY_FACTS_MISSING", "the product's category, risk level or offering is missing or unknown, so suitability cannot be judged", data.factsMissing)
} else := result if {
	# deposits, loans, payments, protection insurance…: no investor-suitability regime governs them
	not regime
	not private
	result := allow("SUITABILITY_NOT_APPLICABLE", sprintf("suitability rules do not apply to this %s product", [product_kind]), null)
} else := result if {
	not customer_known
	result := deny("SUITABILITY_FACTS_MISSING", "the customer is unknown, so suitability cannot be judged", data.factsMissing)
} else := result if {
	# private funds and private WMP: qualified investors only (S13; 私募条例 Art. 18–20)
	private
	not qualified
	result := deny("QUALIFIED_INVESTOR_REQUIRED", sprintf("this private product is sold only to qualified investors (%s); the customer has no current qualified-investor confirmation", [thresholds_text]), data.qualifiedInvestor.regulation)
} else := result if {
	not regime
	result := allow("SUITABILITY_NOT_APPLICABLE", sprintf("the customer is a qualified investor, and no suitability regime governs this %s product", [product_kind]), data.qualifiedInvestor.regulation)
} else := result if {
	# 证券法 Art. 88: without knowing the client the firm must refuse to sell (S1)
	not is_object(profile)
	result := deny("RISK_ASSESSMENT_REQUIRED", "the customer has no risk assessment; complete the risk questionnaire before buying", rule.regulations.assessmentRequired)
} else := result if {
	not profile_known
	result := deny("SUITABILITY_FACTS_MISSING", "the customer's risk profile is incomplete, so suitability cannot be judged", data.factsMissing)
} else := result if {
	# banks re-assess after 1 year (S15), securities firms after at most 2 (S16): expiresAt carries it
	profile.expiresAt <= input.now
	result := deny("RISK_ASSESSMENT_EXPIRED", sprintf("the customer's risk assessment expired at %s; re-assess before buying", [profile.expiresAt]), rule.regulations.assessmentExpired)
} else := result if {
	# professional investors match R1–R5 where the regime says so (S2, S5); never for bank WMP (S14)
	customer.investorType == "PROFESSIONAL"
	rule.professionalMatchesAll == true
	not minor
	result := allow("PROFESSIONAL_INVESTOR", sprintf("a professional investor may buy %s products", [product.riskLevel]), rule.regulations.professional)
} else := result if {
	rank[product.riskLevel] <= rank[max_grade]
	result := allow("WITHIN_TOLERANCE", sprintf("product risk level %s is within the customer's tolerance %s (up to %s)", [product.riskLevel, tolerance_label, max_grade]), rule.regulations.withinTolerance)
} else := result if {
	# a minor lacks full civil capacity: the lowest category, whatever the questionnaire said (S11)
	minor
	result := deny("MINOR_LOWEST_CATEGORY", sprintf("the customer is under %d and so of the lowest risk-tolerance category, which may buy nothing above %s; this product is %s", [data.minors.adultAge, max_grade, product.riskLevel]), data.minors.regulation)
} else := result if {
	# the lowest category may buy nothing above R1, whatever the customer insists (S7, S10(5))
	profile.lowestCategory == true
	result := deny("LOWEST_CATEGORY_ABOVE_R1", sprintf("the customer is in the lowest risk-tolerance category and may buy nothing above %s; this product is %s", [max_grade, product.riskLevel]), rule.regulations.lowestCategory)
} else := result if {
	# 适当性办法 Art. 19: sold only after the special written risk warning is confirmed (S7)
	rule.aboveTolerance == "CONFIRM"
	input.args.input.confirmRiskMismatch == true
	result := {
		"allow": true,
		"reasons": [reason("RISK_MISMATCH_CONFIRMED", sprintf("%s; the customer confirmed the special written risk warning %s", [above_tolerance_message, data.riskWarning.id]), rule.regulations.aboveTolerance)],
		"obligations": {"alerts": [{
			"kind": "SUITABILITY_OVERRIDE",
			"rule": rule.regulations.aboveTolerance,
			"reason": sprintf("ordinary investor %s bought %s product %s after confirming the special written risk warning %s", [tolerance_label, product.riskLevel, product_id, data.riskWarning.id]),
		}]},
	}
} else := result if {
	rule.aboveTolerance == "CONFIRM"
	result := {
		"allow": false,
		"reasons": [reason("RISK_LEVEL_ABOVE_TOLERANCE", above_tolerance_message, rule.regulations.aboveTolerance)],
		"obligations": {"confirm": [{
			"code": "CONFIRM_RISK_MISMATCH",
			"message": risk_warning,
			"regulation": rule.regulations.aboveTolerance,
			"ref": data.riskWarning.id,
		}]},
	}
} else := deny("RISK_LEVEL_ABOVE_TOLERANCE", sprintf("%s; this product's regime allows no purchase above tolerance", [above_tolerance_message]), rule.regulations.aboveTolerance)

product := input.facts.product

customer := input.facts.customer

profile := customer.riskProfile

product_known if {
	is_string(product.category)
	product.riskLevel in data.grades
	product.offering in {"PUBLIC", "PRIVATE"}
	is_boolean(product.investmentLinked)
}

customer_known if {
	is_object(customer)
	is_number(customer.age)
}

profile_known if {
	data.maxGrade[profile.tolerance]
	is_string(profile.expiresAt)
}

private if product.offering == "PRIVATE"

qualified if customer.qualifiedInvestor.expiresAt > input.now

minor if customer.age < data.minors.adultAge

# The product's family, first match of data.families: its category, and whether it is investment-linked where that matters.
families := [f |
	some f in data.families
	f.category == product.category
	object.get(f, "investmentLinked", product.investmentLinked) == product.investmentLinked
]

regime := families[0].regime

rule := data.regimes[regime]

product_kind := "investment-linked INSURANCE" if {
	product.investmentLinked == true
} else := product.category

product_id := product.id if {
	is_string(product.id)
} else := "(no id)"

# R1 → 0 … R5 → 4: grades are listed low to high in the data
rank := {grade: i | some i, grade in data.grades}

max_grade := data.lowestCategoryMaxGrade if {
	profile.lowestCategory == true
} else := data.lowestCategoryMaxGrade if {
	minor
} else := data.maxGrade[profile.tolerance]

tolerance_label := concat("", [profile.tolerance, "-lowest"]) if {
	profile.lowestCategory == true
} else := concat("", [profile.tolerance, "-lowest (minor)"]) if {
	minor
} else := profile.tolerance

above_tolerance_message := sprintf("product risk level %s is above the customer's risk tolerance %s (up to %s)", [product.riskLevel, tolerance_label, max_grade])

# The special written risk warning as the customer reads it: the data's text, filled in.
risk_warning := strings.replace_n({"{riskLevel}": product.riskLevel, "{tolerance}": tolerance_label}, data.riskWarning.text)

thresholds_text := concat(" or ", [sprintf("%s at least %s", [basis, amount]) | some basis, amount in data.qualifiedInvestor.thresholds])

# --- qualified-investor confirmations: the evidence against the thresholds (S13) ---

qualification := result if {
	not is_object(customer)
	result := deny("SUITABILITY_FACTS_MISSING", "the customer is unknown, so the evidence cannot be judged", data.factsMissing)
} else := result if {
	not threshold
	result := deny("QUALIFICATION_BASIS_UNKNOWN", sprintf("%v is not a basis this policy recognises (%s)", [object.get(evidence, "basis", null), thresholds_text]), data.qualifiedInvestor.regulation)
} else := result if {
	not cents(evidence.amount)
	result := deny("SUITABILITY_FACTS_MISSING", "the evidenced amount is not a two-place decimal", data.factsMissing)
} else := result if {
	cents(evidence.amount) < cents(threshold)
	result := deny("QUALIFIED_INVESTOR_THRESHOLD_NOT_MET", sprintf("the evidence shows %s of %s, below the %s a qualified investor needs", [evidence.amount, evidence.basis, threshold]), data.qualifiedInvestor.regulation)
} else := result if {
	not valid_days
	result := deny("QUALIFICATION_VALIDITY_INVALID", sprintf("a confirmation holds from today for at most %d days; this one asks for %v", [data.qualifiedInvestor.maxValidityDays, object.get(evidence, "validDays", null)]), data.qualifiedInvestor.regulation)
} else := allow("QUALIFIED_INVESTOR_CONFIRMED", sprintf("the evidence shows %s of %s, at least the %s a qualified investor needs", [evidence.amount, evidence.basis, threshold]), data.qualifiedInvestor.regulation)

# Messages below name only what the branch before them proved defined: an undefined message would
# make its branch fail and let the chain fall through to a later one.
evidence := input.args.input

threshold := data.qualifiedInvestor.thresholds[evidence.basis]

valid_days if {
	is_number(evidence.validDays)
	evidence.validDays >= 0
	evidence.validDays <= data.qualifiedInvestor.maxValidityDays
}

# Integer cents of a two-place decimal string ("500000.00" → 50000000): money is never a float here.
cents(s) := to_number(replace(s, ".", "")) if {
	is_string(s)
	regex.match(`^(0|[1-9][0-9]*)\.[0-9]{2}$`, s)
}

reason(code, message, regulation) := {"code": code, "message": message, "regulation": regulation}

allow(code, message, regulation) := {"allow": true, "reasons": [reason(code, message, regulation)], "obligations": {}}

deny(code, message, regulation) := {"allow": false, "reasons": [reason(code, message, regulation)], "obligations": {}}
