# Licensing (持牌经营), version 1: may this product be sold, to this customer, today?
#
# Input: the request the gate sends (plugins/licensing.ts): input.action; for a status change
# input.args.input.status; input.facts.product { category }, input.facts.customer { region },
# input.facts.businessDay { date }, and input.facts.distributorLicences and
# input.facts.issuerLicences, each { institution { id, name, kind }, licences [{ type, number,
# validFrom, validTo, regions, revoked }] } (dates are YYYY-MM-DD strings, so they compare as dates).
# Data: the `data:` section of licensing.v1.yaml (listingStatuses, categories, regulations).
# Sources: ../shared/reference/regulations.md section 4.
package fingate.licensing

# The single entrypoint: the first rule of this chain whose conditions hold decides.
decision := result if {
	# a redemption returns the customer's own money: a lapsed licence must not trap it
	input.action == "product.redeem"
	result := allow([reason("REDEMPTION_NOT_RESTRICTED", "redemptions are never refused for a licence", data.regulations.redemption)])
} else := result if {
	input.action == "product.changeStatus"
	not target_status in data.listingStatuses
	result := allow([reason("LICENCE_NOT_NEEDED", concat("", ["moving a product to ", target_status, " needs no licence"]), null)])
} else := result if {
	not facts_complete
	# no licence shown, no business: an unverifiable sale is refused
	result := deny(reason("LICENSING_FACTS_MISSING", "the product, its institutions' licences, the business day or the customer's region is missing, so licensing cannot be judged", data.regulations.principle))
} else := result if {
	not requirement
	result := deny(reason("NO_LICENCE_REQUIREMENT", concat("", ["no licence is known to permit selling ", product.category, " products, so none may be sold"]), data.regulations.principle))
} else := result if {
	failure := side_failure("distributor")
	result := deny(failure)
} else := result if {
	failure := side_failure("issuer")
	result := deny(failure)
} else := allow([licensed("distributor"), licensed("issuer")])

product := input.facts.product

today := input.facts.businessDay.date

target_status := input.args.input.status

requirement := data.categories[product.category]

holders := {"distributor": input.facts.distributorLicences, "issuer": input.facts.issuerLicences}

# A purchase is made by a customer in a region; a listing is not.
purchase if input.action == "product.purchase"

customer_region := input.facts.customer.region

facts_complete if {
	is_string(product.category)
	is_string(today)
	is_array(holders.distributor.licences)
	is_array(holders.issuer.licences)
	region_known
}

region_known if not purchase

region_known if is_string(customer_region)

# The licences of a side of the type its category requires.
candidates(side) := [l |
	some l in holders[side].licences
	l.type in requirement[side].licences
]

# Valid on the business day: from validFrom through validTo (open-ended when null).
current(l) if {
	l.validFrom <= today
	not lapsed(l)
}

lapsed(l) if {
	is_string(l.validTo)
	l.validTo < today
}

# Where the licence must reach: the customer's region, for the distributor of a purchase.
reaches(side, l) if {
	not needs_region(side)
}

reaches(side, l) if {
	needs_region(side)
	some r in l.regions
	region_covers(r, customer_region)
}

needs_region("distributor") if purchase

usable(side) := [l |
	some l in candidates(side)
	not l.revoked
	current(l)
	reaches(side, l)
]

# A GB/T 2260 code covers the codes that start with it once its trailing "00" pairs are dropped:
# "000000" is nationwide, a province "110000" covers "110000" and "110105", a prefecture "110100"
# covers "110105", a county covers itself.
region_covers(region, customer) if startswith(customer, region_prefix(region))

region_prefix(r) := "" if {
	r == "000000"
} else := substring(r, 0, 2) if {
	endswith(r, "0000")
} else := substring(r, 0, 4) if {
	endswith(r, "00")
} else := r

# Why a side holds no usable licence: missing, else all revoked, else none valid today, else none
# reaching the customer's region. Undefined when a usable licence exists.
side_failure(side) := r if {
	count(candidates(side)) == 0
	r := side_reason(side, "LICENCE_MISSING", concat("", [holder(side), " holds no ", types(side), " licence"]))
} else := r if {
	count(usable(side)) == 0
	unrevoked := [l | some l in candidates(side); not l.revoked]
	count(unrevoked) == 0
	r := side_reason(side, "LICENCE_REVOKED", concat("", [holder(side), "'s ", types(side), " licence ", numbers(candidates(side)), " was revoked"]))
} else := r if {
	count(usable(side)) == 0
	lapsed_ones := [l | some l in candidates(side); not l.revoked; lapsed(l)]
	count([l | some l in candidates(side); not l.revoked; current(l)]) == 0
	count(lapsed_ones) > 0
	r := side_reason(side, "LICENCE_EXPIRED", concat("", [holder(side), "'s ", types(side), " licence ", numbers(lapsed_ones), " expired (valid to ", concat(", ", [l.validTo | some l in lapsed_ones]), "; today is ", today, ")"]))
} else := r if {
	count(usable(side)) == 0
	count([l | some l in candidates(side); not l.revoked; current(l)]) == 0
	pending := [l | some l in candidates(side); not l.revoked]
	r := side_reason(side, "LICENCE_NOT_YET_VALID", concat("", [holder(side), "'s ", types(side), " licence ", numbers(pending), " is valid only from ", concat(", ", [l.validFrom | some l in pending]), " (today is ", today, ")"]))
} else := r if {
	count(usable(side)) == 0
	current_ones := [l | some l in candidates(side); not l.revoked; current(l)]
	r := side_reason(side, "LICENCE_REGION_NOT_COVERED", concat("", [holder(side), "'s ", types(side), " licence ", numbers(current_ones), " covers regions ", concat(", ", [concat(" ", l.regions) | some l in current_ones]), ", not the customer's region ", customer_region]))
}

licensed(side) := reason(concat("_", [upper(side), "LICENSED"]), concat("", [holder(side), " holds ", types(side), " licence ", usable(side)[0].number, " valid on ", today]), requirement[side].regulation)

# Region denials cite the rule on licence regions besides the category's own.
side_reason(side, code, message) := reason(concat("_", [upper(side), code]), message, concat("; ", [requirement[side].regulation, data.regulations.region])) if {
	code == "LICENCE_REGION_NOT_COVERED"
} else := reason(concat("_", [upper(side), code]), message, requirement[side].regulation)

holder(side) := concat("", ["the ", side, " ", holders[side].institution.name, " (", holders[side].institution.kind, ")"])

types(side) := concat(" or ", requirement[side].licences)

numbers(ls) := concat(", ", [l.number | some l in ls])

reason(code, message, regulation) := {"code": code, "message": message, "regulation": regulation}

allow(reasons) := {"allow": true, "reasons": reasons, "obligations": {}}

deny(r) := {"allow": false, "reasons": [r], "obligations": {}}
