# Investor suitability (投资者适当性), version 1: may this customer buy this product?
#
# Input: the purchase request the gate sends (plugins/suitability.ts): input.facts.product
# { category, riskLevel }, input.facts.customer { investorType, riskProfile }, input.args.input
# { confirmRiskMismatch }, input.now (an ISO-8601 UTC string, so strings compare as instants).
# Data: the `data:` section of suitability.v1.yaml (grades, maxGrade, lowestCategoryMaxGrade, regimes).
# Sources: ../shared/reference/regulations.md section 1 (rules S1–S16).
package fingate.suitability

# The single entrypoint: the first rule of this chain whose conditions hold decides.
decision := result if {
	not product_known
	result := deny("SUITABILITY_FACTS_MISSING", "the product's category or risk level is missing or unknown, so suitability cannot be judged", null)
} else := result if {
	# deposits, loans, payments…: no investor-suitability regime governs them
	not regime
	result := allow("SUITABILITY_NOT_APPLICABLE", concat("", ["suitability rules do not apply to ", product.category, " products"]), null)
} else := result if {
	not is_object(customer)
	result := deny("SUITABILITY_FACTS_MISSING", "the customer is unknown, so suitability cannot be judged", null)
} else := result if {
	# 证券法 Art. 88: without knowing the client the firm must refuse to sell (S1)
	not is_object(profile)
	result := deny("RISK_ASSESSMENT_REQUIRED", "the customer has no risk assessment; complete the risk questionnaire before buying", citation("assessment"))
} else := result if {
	not profile_known
	result := deny("SUITABILITY_FACTS_MISSING", "the customer's risk profile is incomplete, so suitability cannot be judged", null)
} else := result if {
	# banks re-assess after 1 year (S15), securities firms after at most 2 (S16): expiresAt carries it
	profile.expiresAt <= input.now
	result := deny("RISK_ASSESSMENT_EXPIRED", concat("", ["the customer's risk assessment expired at ", profile.expiresAt, "; re-assess before buying"]), citation("expiry"))
} else := result if {
	# professional investors match R1–R5 (S2, S5)
	customer.investorType == "PROFESSIONAL"
	result := allow("PROFESSIONAL_INVESTOR", concat("", ["a professional investor may buy ", product.riskLevel, " products"]), "证券法 第89条")
} else := result if {
	rank[product.riskLevel] <= rank[max_grade]
	result := allow("WITHIN_TOLERANCE", concat("", ["product risk level ", product.riskLevel, " is within the customer's tolerance ", tolerance_label, " (up to ", max_grade, ")"]), citation("match"))
} else := result if {
	# the lowest category may buy nothing above R1, whatever the customer insists (S7, S10(5))
	profile.lowestCategory == true
	result := deny("LOWEST_CATEGORY_ABOVE_R1", concat("", ["the customer is in the lowest risk-tolerance category and may buy nothing above ", max_grade, "; this product is ", product.riskLevel]), "证券期货投资者适当性管理办法 第19条、第22条第(五)项")
} else := result if {
	# bank wealth management: only grades ≤ the investor's, no "insist and buy" (S14)
	regime == "BANK_WMP"
	result := deny("RISK_LEVEL_ABOVE_TOLERANCE", above_tolerance_message, "商业银行理财业务监督管理办法")
} else := result if {
	# CSRC Art. 19: warn, then sell only after the special written risk warning is confirmed (S7)
	regime == "CSRC"
	input.args.input.confirmRiskMismatch == true
	result := {
		"allow": true,
		"reasons": [reason("RISK_MISMATCH_CONFIRMED", concat("", [above_tolerance_message, "; the customer confirmed the special written risk warning"]), art19)],
		"obligations": {"alerts": [{
			"kind": "SUITABILITY_OVERRIDE",
			"rule": "适当性办法第19条",
			"reason": concat("", ["ordinary investor ", tolerance_label, " bought ", product.riskLevel, " product ", product_id, " after the special written risk warning"]),
		}]},
	}
} else := result if {
	regime == "CSRC"
	result := {
		"allow": false,
		"reasons": [reason("RISK_LEVEL_ABOVE_TOLERANCE", above_tolerance_message, art19)],
		"obligations": {"confirm": [reason(
			"CONFIRM_RISK_MISMATCH",
			concat("", ["this ", product.riskLevel, " product is above your risk tolerance ", tolerance_label, ". Read the special written risk warning (特别风险警示书) and confirm that you still want to buy it (confirmRiskMismatch: true)"]),
			art19,
		)]},
	}
} else := deny("RISK_LEVEL_ABOVE_TOLERANCE", concat("", [above_tolerance_message, "; regime ", regime, " has no rule for buying above tolerance"]), null)

product := input.facts.product

customer := input.facts.customer

profile := customer.riskProfile

regime := data.regimes[product.category]

product_id := product.id if {
	is_string(product.id)
} else := "(no id)"

product_known if {
	is_string(product.category)
	product.riskLevel in data.grades
}

profile_known if {
	data.maxGrade[profile.tolerance]
	is_string(profile.expiresAt)
}

# R1 → 0 … R5 → 4: grades are listed low to high in the data
rank := {grade: i | some i, grade in data.grades}

max_grade := data.lowestCategoryMaxGrade if {
	profile.lowestCategory == true
} else := data.maxGrade[profile.tolerance]

tolerance_label := concat("", [profile.tolerance, "-lowest"]) if {
	profile.lowestCategory == true
} else := profile.tolerance

above_tolerance_message := concat("", ["product risk level ", product.riskLevel, " is above the customer's risk tolerance ", tolerance_label, " (up to ", max_grade, ")"])

art19 := "证券期货投资者适当性管理办法 第19条"

# The rule each regime's reasons cite.
citations := {
	"CSRC": {
		"assessment": "证券法 第88条",
		"expiry": "证券期货投资者适当性管理办法 第21条",
		"match": "证券期货投资者适当性管理办法 第18条",
	},
	"BANK_WMP": {
		"assessment": "商业银行理财业务监督管理办法",
		"expiry": "商业银行理财业务监督管理办法",
		"match": "商业银行理财业务监督管理办法",
	},
}

# A regime this file does not know cites nothing rather than making its rule undefined.
citation(kind) := c if {
	c := citations[regime][kind]
} else := null

reason(code, message, regulation) := {"code": code, "message": message, "regulation": regulation}

allow(code, message, regulation) := {"allow": true, "reasons": [reason(code, message, regulation)], "obligations": {}}

deny(code, message, regulation) := {"allow": false, "reasons": [reason(code, message, regulation)], "obligations": {}}
